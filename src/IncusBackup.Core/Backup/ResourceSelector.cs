using IncusBackup.Errors;
using IncusBackup.Incus;
using IncusBackup.Repository;

namespace IncusBackup.Backup;

/// <summary>
/// Turns names and wildcards into the instances and volumes they mean. A literal name that matches nothing is
/// reported as missing (the cmdlet writes a non-terminating error for it); a wildcard that matches nothing is not.
/// </summary>
public sealed class ResourceSelector(IIncusServer server)
{
    /// <param name="patterns">Names or wildcards; empty means all.</param>
    /// <param name="project">The project, or null for every project.</param>
    public async Task<Selection<InstanceBackupSource>> SelectInstancesAsync(IReadOnlyList<string> patterns, string? project, CancellationToken ct)
    {
        var instances = (await InProjectAsync(project, () => server.Instances.ListAsync(project, ct), ct).ConfigureAwait(false))
            .Where(i => !TemporaryCopies.IsCopy(i.Config)).ToList();
        var (chosen, missing, empty) = Match(instances, patterns, pattern => i => NameMatches(pattern, i.Name), Wildcard.HasWildcards);
        return new Selection<InstanceBackupSource>(
            chosen.OrderBy(i => i.Project, StringComparer.Ordinal).ThenBy(i => i.Name, StringComparer.Ordinal).Select(i => new InstanceBackupSource(i)).ToList(),
            missing, empty);
    }

    /// <param name="patterns">"pool/name" or "name" (then <paramref name="pool"/> or every pool); wildcards allowed in both parts; empty means all.</param>
    public async Task<Selection<VolumeBackupSource>> SelectVolumesAsync(IReadOnlyList<string> patterns, string? pool, string? project, CancellationToken ct)
    {
        var pools = await server.StoragePools.ListAsync(ct).ConfigureAwait(false);
        if (pool is not null && pools.All(p => p.Name != pool))
        {
            throw new IncusBackupException(ErrorIds.PoolNotFound, ErrorKind.NotFound, $"Storage pool '{pool}' not found.", pool,
                "List the pools with: incus storage list");
        }
        var all = new List<VolumeBackupSource>();
        foreach (var p in pools.Where(p => pool is null || p.Name == pool))
        {
            var volumes = await InProjectAsync(project, () => server.StorageVolumes.ListCustomAsync(project, p.Name, ct), ct).ConfigureAwait(false);
            all.AddRange(volumes.Where(v => !TemporaryCopies.IsCopy(v.Config)).Select(v => new VolumeBackupSource(p.Name, v)));
        }
        var (chosen, missing, empty) = Match(all, patterns,
            pattern =>
            {
                var (poolPattern, namePattern) = SplitVolumePattern(pattern, pool);
                return v => NameMatches(poolPattern, v.Pool) && NameMatches(namePattern, v.Name);
            },
            pattern => Wildcard.HasWildcards(SplitVolumePattern(pattern, pool).Name));
        return new Selection<VolumeBackupSource>(
            chosen.OrderBy(v => v.Project, StringComparer.Ordinal).ThenBy(v => v.Pool, StringComparer.Ordinal).ThenBy(v => v.Name, StringComparer.Ordinal).ToList(),
            missing, empty);
    }

    /// <summary>
    /// Images by fingerprint (a unique prefix is enough) and by alias (wildcards allowed); neither means all.
    /// Projects without their own images (features.images=false) show the default project's, so an image is chosen
    /// once, in the project that owns it.
    /// </summary>
    /// <param name="project">The project, or null for every project.</param>
    public async Task<Selection<ImageBackupSource>> SelectImagesAsync(IReadOnlyList<string> fingerprints, IReadOnlyList<string> aliases, string? project, CancellationToken ct)
    {
        var projects = project is not null ? [project] : (await server.Projects.ListAsync(ct).ConfigureAwait(false)).Select(p => p.Name).ToList();
        var images = new List<ImageBackupSource>();
        foreach (var name in projects)
        {
            foreach (var image in await InProjectAsync(name, () => server.Images.ListAsync(name, ct), ct).ConfigureAwait(false))
            {
                var owner = string.IsNullOrEmpty(image.Project) ? name : image.Project;
                if (!images.Any(i => i.Project == owner && i.Fingerprint == image.Fingerprint)) images.Add(new ImageBackupSource(owner, image));
            }
        }
        if (fingerprints.Count == 0 && aliases.Count == 0) return new Selection<ImageBackupSource>(Ordered(images), [], []);

        var chosen = new List<ImageBackupSource>();
        var missing = new List<string>();
        var empty = new List<string>();
        var problems = new List<IncusBackupException>();
        foreach (var prefix in fingerprints.Distinct(StringComparer.OrdinalIgnoreCase))
        {
            var hits = images.Where(i => i.Fingerprint.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)).ToList();
            var distinct = hits.Select(i => i.Fingerprint).Distinct().ToList();
            if (distinct.Count > 1)
            {
                problems.Add(new IncusBackupException(ErrorIds.AmbiguousFingerprint, ErrorKind.InvalidArgument,
                    $"The fingerprint prefix '{prefix}' matches {distinct.Count} images: {string.Join(", ", distinct.Select(f => f[..12]))}.", prefix,
                    "Give more of the fingerprint (incus image list shows them)."));
                continue;
            }
            if (hits.Count == 0) missing.Add(prefix);
            chosen.AddRange(hits.Where(h => !chosen.Contains(h)));
        }
        foreach (var alias in aliases.Distinct(StringComparer.Ordinal))
        {
            var hits = images.Where(i => i.Image.Aliases.Any(a => NameMatches(alias, a.Name))).ToList();
            if (hits.Count == 0) (Wildcard.HasWildcards(alias) ? empty : missing).Add(alias);
            chosen.AddRange(hits.Where(h => !chosen.Contains(h)));
        }
        return new Selection<ImageBackupSource>(Ordered(chosen), missing, empty) { Problems = problems };

        static List<ImageBackupSource> Ordered(IEnumerable<ImageBackupSource> images) =>
            images.OrderBy(i => i.Project, StringComparer.Ordinal).ThenBy(i => i.Fingerprint, StringComparer.Ordinal).ToList();
    }

    /// <summary>
    /// Where each name that matched nothing in the project asked for does exist, for an error that says so:
    /// name to the projects that have an instance (or volume) of that name.
    /// </summary>
    public async Task<Dictionary<string, List<string>>> FindElsewhereAsync(IReadOnlyList<string> names, BackupKind kind, string? pool, CancellationToken ct)
    {
        IEnumerable<(string Project, string Name)> everywhere = kind == BackupKind.Instance
            ? (await server.Instances.ListAsync(null, ct).ConfigureAwait(false)).Select(i => (i.Project, i.Name))
            : (await SelectVolumesAsync([], pool, null, ct).ConfigureAwait(false)).Targets.Select(v => (v.Project, $"{v.Pool}/{v.Name}"));
        var found = everywhere.ToList();
        return names.ToDictionary(n => n, n => found.Where(f => f.Name == n || f.Name.EndsWith("/" + n, StringComparison.Ordinal))
            .Select(f => f.Project).Distinct().Order(StringComparer.Ordinal).ToList());
    }

    /// <summary>Runs a project-scoped list call; an unknown project is ProjectNotFound (Incus lists an empty one for it).</summary>
    private async Task<List<T>> InProjectAsync<T>(string? project, Func<Task<List<T>>> list, CancellationToken ct)
    {
        // The project becomes a folder name in the repository: refuse "..", "/" and friends before asking the server.
        if (project is not null)
        {
            ResourceName.EnsureSafeSegment(project, "project");
            if (await server.Projects.TryGetAsync(project, ct).ConfigureAwait(false) is null)
                throw ProjectNotFound(project, null);
        }
        try
        {
            return await list().ConfigureAwait(false);
        }
        catch (IncusApiException e) when (e.IsNotFound && project is not null)
        {
            throw ProjectNotFound(project, e);
        }
    }

    private static IncusBackupException ProjectNotFound(string project, Exception? inner) =>
        new(ErrorIds.ProjectNotFound, ErrorKind.NotFound, $"Project '{project}' not found.", project, "List the projects with: incus project list", inner);

    /// <summary>"pool/name", or "name" in the given pool (or any pool).</summary>
    public static (string Pool, string Name) SplitVolumePattern(string pattern, string? pool)
    {
        var slash = pattern.IndexOf('/');
        return slash < 0 ? (pool ?? "*", pattern) : (pattern[..slash], pattern[(slash + 1)..]);
    }

    /// <summary>Literal names match exactly (Incus names are case-sensitive); wildcards match like PowerShell's, ignoring case.</summary>
    private static bool NameMatches(string pattern, string value) =>
        Wildcard.HasWildcards(pattern) ? new Wildcard(pattern).IsMatch(value) : pattern == value;

    private static (List<T> Chosen, List<string> Missing, List<string> Empty) Match<T>(IReadOnlyList<T> items, IReadOnlyList<string> patterns,
        Func<string, Func<T, bool>> matcher, Func<string, bool> isWildcard)
    {
        if (patterns.Count == 0) return (items.ToList(), [], []);
        var chosen = new List<T>();
        var missing = new List<string>();
        var empty = new List<string>();
        foreach (var pattern in patterns.Distinct(StringComparer.Ordinal))
        {
            var hits = items.Where(matcher(pattern)).ToList();
            if (hits.Count == 0) (isWildcard(pattern) ? empty : missing).Add(pattern);
            foreach (var hit in hits)
                if (!chosen.Contains(hit)) chosen.Add(hit);
        }
        return (chosen, missing, empty);
    }
}

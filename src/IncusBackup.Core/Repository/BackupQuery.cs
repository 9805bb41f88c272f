namespace IncusBackup.Repository;

/// <summary>Filters for listing backups (Get-IncusBackup's parameters). Null means "any".</summary>
public sealed record BackupQuery
{
    public BackupKind? Kind { get; init; }

    /// <summary>Names or wildcards; for volumes "pool/name" is accepted too, for images an alias.</summary>
    public IReadOnlyList<string> Names { get; init; } = [];

    /// <summary>
    /// Names without wildcards also match the first characters of a record's Name: an image's fingerprint, as incus
    /// image info takes it. Aliases still match whole.
    /// </summary>
    public bool NamePrefix { get; init; }
    public string? Project { get; init; }
    public string? Pool { get; init; }

    /// <summary>The server the backups came from, by name (wildcards allowed).</summary>
    public string? ServerName { get; init; }
    public string? Version { get; init; }

    /// <summary>Only the newest backup of each resource.</summary>
    public bool Latest { get; init; }
    public DateTime? After { get; init; }
    public DateTime? Before { get; init; }

    /// <summary>
    /// The literal names that matched backups of more than one resource by their first characters only (a fingerprint
    /// prefix that two images share), with the names they matched: taking all of them would be a guess.
    /// </summary>
    public IEnumerable<(string Prefix, IReadOnlyList<string> Matches)> AmbiguousPrefixes(IReadOnlyCollection<BackupRecord> matched)
    {
        if (!NamePrefix) yield break;
        foreach (var name in Names.Where(n => !Wildcard.HasWildcards(n)))
        {
            if (matched.Any(r => r.Name == name || r.Aliases.Contains(name))) continue;
            var names = matched.Where(r => r.Name.StartsWith(name, StringComparison.OrdinalIgnoreCase)).Select(r => r.Name).Distinct().Order(StringComparer.Ordinal).ToList();
            if (names.Count > 1) yield return (name, names);
        }
    }

    public IEnumerable<BackupRecord> Apply(IEnumerable<BackupRecord> records)
    {
        var server = ServerName is null ? null : new Wildcard(ServerName);
        var candidates = records.Where(r =>
            (Kind is null || r.Kind == Kind) &&
            (server is null || server.IsMatch(r.ServerName ?? "")) &&
            (Project is null || r.Project == Project) &&
            (Pool is null || r.Pool == Pool) &&
            (Version is null || r.Version == Version) &&
            (After is null || r.Timestamp > After.Value.ToUniversalTime()) &&
            (Before is null || r.Timestamp < Before.Value.ToUniversalTime())).ToList();
        // Literal names match exactly (Incus names are case-sensitive); wildcards ignore case, as in PowerShell.
        var matchers = Names.Select(n => Wildcard.HasWildcards(n) ? new Wildcard(n).IsMatch : (Func<string, bool>)(v => v == n)).ToList();
        // A name that names a resource whole (its name or an alias) means that one, not also those it is a prefix of.
        var prefixes = NamePrefix
            ? Names.Where(n => !Wildcard.HasWildcards(n) && !candidates.Any(r => r.Name == n || r.Aliases.Contains(n))).ToList()
            : [];
        var filtered = candidates.Where(r =>
            matchers.Count == 0 || matchers.Any(m => m(r.Name) || (r.Pool is not null && m(r.Pool + "/" + r.Name)) || r.Aliases.Any(m))
            || prefixes.Any(p => r.Name.StartsWith(p, StringComparison.OrdinalIgnoreCase)));
        if (!Latest) return filtered;
        return filtered
            .GroupBy(ResourceIdentity.Of)
            .Select(g => g.OrderBy(r => BackupVersion.Parse(r.Version)).Last());
    }
}

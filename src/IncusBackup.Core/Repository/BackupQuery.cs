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
    public string? Version { get; init; }

    /// <summary>Only the newest backup of each resource.</summary>
    public bool Latest { get; init; }
    public DateTime? After { get; init; }
    public DateTime? Before { get; init; }

    public IEnumerable<BackupRecord> Apply(IEnumerable<BackupRecord> records)
    {
        // Literal names match exactly (Incus names are case-sensitive); wildcards ignore case, as in PowerShell.
        var matchers = Names.Select(n => Wildcard.HasWildcards(n) ? new Wildcard(n).IsMatch : (Func<string, bool>)(v => v == n)).ToList();
        var prefixes = NamePrefix ? Names.Where(n => !Wildcard.HasWildcards(n)).ToList() : [];
        var filtered = records.Where(r =>
            (Kind is null || r.Kind == Kind) &&
            (Project is null || r.Project == Project) &&
            (Pool is null || r.Pool == Pool) &&
            (Version is null || r.Version == Version) &&
            (After is null || r.Timestamp > After.Value.ToUniversalTime()) &&
            (Before is null || r.Timestamp < Before.Value.ToUniversalTime()) &&
            (matchers.Count == 0 || matchers.Any(m => m(r.Name) || (r.Pool is not null && m(r.Pool + "/" + r.Name)) || r.Aliases.Any(m))
                || prefixes.Any(p => r.Name.StartsWith(p, StringComparison.OrdinalIgnoreCase))));
        if (!Latest) return filtered;
        return filtered
            .GroupBy(r => (r.Kind, r.Project, r.Pool, r.Name))
            .Select(g => g.OrderBy(r => BackupVersion.Parse(r.Version)).Last());
    }
}

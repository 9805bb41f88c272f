namespace IncusBackup.Archive;

/// <summary>
/// What to change in a backup on its way back to a server. Maps are old name → new name, case-sensitive; names not in a
/// map stay as they are.
/// </summary>
public sealed record RestoreMapping
{
    private static readonly IReadOnlyDictionary<string, string> Empty = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>A mapping that changes nothing.</summary>
    public static RestoreMapping None { get; } = new();

    /// <summary>Storage pools referenced by disk devices, the backup's own pool and the volume.</summary>
    public IReadOnlyDictionary<string, string> Pools { get; init => field = Copy(value, nameof(Pools)); } = Empty;

    /// <summary>Managed networks referenced by NIC devices (<c>network</c>, and <c>parent</c> for bridged/macvlan NICs).</summary>
    public IReadOnlyDictionary<string, string> Networks { get; init => field = Copy(value, nameof(Networks)); } = Empty;

    /// <summary>Profiles applied to the instance (and the profile objects stored with it).</summary>
    public IReadOnlyDictionary<string, string> Profiles { get; init => field = Copy(value, nameof(Profiles)); } = Empty;

    /// <summary>Project names recorded in the instance, profile and volume objects.</summary>
    public IReadOnlyDictionary<string, string> Projects { get; init => field = Copy(value, nameof(Projects)); } = Empty;

    /// <summary>New name for the restored instance or custom volume (snapshot names are kept).</summary>
    public string? NewName { get; init => field = RequireNonEmpty(value, nameof(NewName)); }

    /// <summary>
    /// Pool the instance or volume itself is restored into (like the <c>X-Incus-pool</c> header). It wins over
    /// <see cref="Pools"/> for the backup's own pool and for the instance's root disk; other disks follow <see cref="Pools"/>.
    /// </summary>
    public string? TargetPool { get; init => field = RequireNonEmpty(value, nameof(TargetPool)); }

    /// <summary>
    /// Drop the MAC addresses the instance and its snapshots recorded (<c>volatile.*.hwaddr</c>), so that Incus gives
    /// the restored instance new ones, as <c>incus copy</c> does: for a copy beside the original, which with the
    /// original's addresses could not start on a managed network while the original exists (nor the original then).
    /// </summary>
    public bool NewMacAddresses { get; init; }

    /// <summary>True when applying this mapping can change the archive; false means the original can be sent as is.</summary>
    public bool ChangesAnything =>
        NewName is not null || TargetPool is not null || NewMacAddresses
        || new[] { Pools, Networks, Profiles, Projects }.Any(map => map.Any(pair => pair.Key != pair.Value));

    /// <summary>The new value for one reference found in the backup; the old value when unmapped.</summary>
    internal string Resolve(ReferenceKind kind, string current) => kind switch
    {
        ReferenceKind.OwnPool => TargetPool ?? Pools.GetValueOrDefault(current, current),
        ReferenceKind.Pool => Pools.GetValueOrDefault(current, current),
        ReferenceKind.Network or ReferenceKind.NicParent => Networks.GetValueOrDefault(current, current),
        ReferenceKind.Profile => Profiles.GetValueOrDefault(current, current),
        ReferenceKind.Project => Projects.GetValueOrDefault(current, current),
        ReferenceKind.Name => NewName ?? current,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    // Copy so a caller's case-insensitive or later-mutated dictionary cannot change the rules.
    private static Dictionary<string, string> Copy(IReadOnlyDictionary<string, string> map, string what)
    {
        ArgumentNullException.ThrowIfNull(map, what);
        var copy = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (from, to) in map)
        {
            if (string.IsNullOrEmpty(from) || string.IsNullOrEmpty(to))
                throw new ArgumentException($"{what} mapping '{from}' -> '{to}' needs both names.", what);
            copy[from] = to;
        }
        return copy;
    }

    private static string? RequireNonEmpty(string? value, string what) =>
        value is { Length: 0 } ? throw new ArgumentException($"{what} must not be empty; use null to keep the original.", what) : value;
}

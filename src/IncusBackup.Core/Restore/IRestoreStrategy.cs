using IncusBackup.Archive;
using IncusBackup.Incus;
using IncusBackup.Repository;

namespace IncusBackup.Restore;

/// <summary>
/// What differs between kinds of restore (instances, custom volumes; images and config next): how to find, name,
/// import, rename and delete one, and what it depends on. The planner builds the same plan shape for every kind
/// from these, so a new kind is a new class rather than new branches.
/// </summary>
internal interface IRestoreStrategy
{
    BackupKind Kind { get; }

    /// <summary>"instance", "volume": for step names and messages.</summary>
    string Noun { get; }

    /// <summary>Whether -Start means anything for this kind.</summary>
    bool CanStart { get; }

    /// <summary>Whether the archive's index.yaml is of this kind.</summary>
    bool Accepts(BackupIndex index);

    /// <summary>Refuses names the server would reject only after unpacking the whole upload.</summary>
    void ValidateName(string name);

    /// <summary>The pool to restore into after -PoolMap (null: the server decides, for an instance's unmapped root).</summary>
    string? TargetPool(RestoreRequest request, BackupManifest manifest, BackupIndex index);

    /// <summary>Storage pools that must exist on the server.</summary>
    IEnumerable<string> RequiredPools(RestoreRequest request, BackupIndex index, RestoreTarget target);

    /// <summary>What else the backup needs that the server lacks (networks, profiles, volumes), described for a message.</summary>
    Task<List<string>> MissingReferencesAsync(RestoreRequest request, BackupManifest manifest, BackupIndex index, RestoreTarget target, CancellationToken ct);

    /// <summary>The target as it is now: null when it does not exist, else whether it runs and which running instances a swap must stop.</summary>
    /// <exception cref="Errors.IncusBackupException">ReplaceNotSupported when it exists and cannot be swapped safely (unless only skipping).</exception>
    Task<ExistingTarget?> InspectAsync(RestoreTarget target, ConflictMode conflict, CancellationToken ct);

    Task<bool> ExistsAsync(RestoreTarget target, CancellationToken ct);

    /// <summary>Uploads the archive as <paramref name="target"/>; returns the import operation.</summary>
    Task<string> StartImportAsync(RestoreTarget target, BackupUpload upload, CancellationToken ct);

    /// <summary>
    /// Whether an import lands on <see cref="RestoreTarget.Member"/> by itself (a volume's, aimed there) or has to be
    /// moved there afterwards with <see cref="MoveToMemberAsync"/> (an instance's: Incus imports it where the client
    /// is connected).
    /// </summary>
    bool ImportLandsOnMember { get; }

    /// <summary>Moves the imported copy to <see cref="RestoreTarget.Member"/> unless it is there already.</summary>
    Task MoveToMemberAsync(RestoreTarget target, CancellationToken ct);

    Task RenameAsync(RestoreTarget target, string newName, CancellationToken ct);

    /// <summary>Deletes it if it exists (stopping an instance first). Cleanup: never cancelled.</summary>
    Task DeleteAsync(RestoreTarget target);

    /// <summary>What else a swap must do once the restored copy has the original's name (volumes: repoint the users' devices).</summary>
    IEnumerable<SwapAction> AfterSwap(RestoreTarget target, string retiredName);
}

/// <summary>
/// A target that exists: whether it runs, the running instances (project/name) a swap must stop and start again, and
/// which of those are ephemeral (Incus deletes an ephemeral instance when it stops).
/// </summary>
internal sealed record ExistingTarget(bool Running, IReadOnlyList<string> RunningUsers, IReadOnlyCollection<string> Ephemeral)
{
    public static ExistingTarget Of(bool running, IEnumerable<IncusInstance> users) =>
        new(running, users.Select(i => $"{i.Project}/{i.Name}").ToList(), users.Where(i => i.Ephemeral).Select(i => $"{i.Project}/{i.Name}").ToHashSet());
}

/// <summary>One extra action of a swap, with its undo; <paramref name="UndoIfFailed"/> when the undo also repairs a half-done run.</summary>
internal sealed record SwapAction(string Name, Func<CancellationToken, Task> Run, Func<Task> Undo, bool UndoIfFailed = false);

internal static class RestoreStrategies
{
    /// <param name="member">
    /// The cluster member the target lands on, or null. A volume on a local pool exists per member, so every call
    /// about it is aimed there. An instance is found wherever it runs, and nothing about it is aimed (an instance
    /// POST with ?target= moves it, and an import ignores it): it is moved to its member after the import.
    /// </param>
    public static IRestoreStrategy For(BackupKind kind, IIncusServer server, string? member = null) => kind switch
    {
        BackupKind.Instance => new InstanceRestoreStrategy(server),
        BackupKind.Volume => new VolumeRestoreStrategy(server.AimedAt(member)),
        _ => throw new NotSupportedException($"{kind} backups cannot be restored yet."),
    };

    public static string Mapped(IReadOnlyDictionary<string, string> map, string value) => map.TryGetValue(value, out var mapped) ? mapped : value;
}

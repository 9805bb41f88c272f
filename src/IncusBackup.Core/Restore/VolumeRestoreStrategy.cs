using IncusBackup.Archive;
using IncusBackup.Errors;
using IncusBackup.Incus;
using IncusBackup.Repository;
using static IncusBackup.Restore.RestoreStrategies;

namespace IncusBackup.Restore;

/// <summary>
/// Restoring custom volumes. Incus cannot delete or rename a volume in use by running instances, but renaming one
/// used by stopped instances repoints their devices to the new name; so a swap stops the users, renames, and then
/// points their devices at the restored volume.
/// </summary>
internal sealed class VolumeRestoreStrategy(IIncusServer server) : IRestoreStrategy
{
    public BackupKind Kind => BackupKind.Volume;
    public string Noun => "volume";
    public bool CanStart => false;

    public bool Accepts(BackupIndex index) => !index.IsInstance;

    public void ValidateName(string name)
    {
        // Incus checks volume names itself, before any data moves; the repository's own rule is enough here.
    }

    public string? TargetPool(RestoreRequest request, BackupManifest manifest, BackupIndex index) =>
        Mapped(request.PoolMap, manifest.Pool ?? index.Pool);

    public IEnumerable<string> RequiredPools(RestoreRequest request, BackupIndex index, RestoreTarget target) => [target.Pool!];

    public Task<List<string>> MissingReferencesAsync(RestoreRequest request, BackupManifest manifest, BackupIndex index, RestoreTarget target, CancellationToken ct) =>
        Task.FromResult(new List<string>());

    public async Task<ExistingTarget?> InspectAsync(RestoreTarget target, ConflictMode conflict, CancellationToken ct)
    {
        var existing = await server.StorageVolumes.TryGetCustomAsync(target.Project, target.Pool!, target.Name, ct).ConfigureAwait(false);
        if (existing is null) return null;
        // Incus 6.0.4 cannot rename a volume that a profile attaches while instances use that profile
        // (the profile update fails validation half-way), so the swap cannot be done safely: refuse up front.
        var profiles = existing.ProfileUsers(target.Project).Select(p => p.Name).ToList();
        if (profiles.Count > 0 && conflict != ConflictMode.SkipExisting)
        {
            throw new IncusBackupException(ErrorIds.ReplaceNotSupported, ErrorKind.InvalidArgument,
                $"{target} is attached through profile(s) {string.Join(", ", profiles)}; it cannot be replaced in place. Nothing was changed.",
                target.ToString(),
                "Restore it beside the original with -NewName and point the profile at the copy, or remove the device from the profile first.");
        }
        return ExistingTarget.Of(false, await server.RunningUsersAsync(existing, target.Project, ct).ConfigureAwait(false));
    }

    public async Task<bool> ExistsAsync(RestoreTarget target, CancellationToken ct) =>
        await server.StorageVolumes.TryGetCustomAsync(target.Project, target.Pool!, target.Name, ct).ConfigureAwait(false) is not null;

    public Task<string> StartImportAsync(RestoreTarget target, BackupUpload upload, CancellationToken ct) =>
        server.StorageVolumes.StartImportAsync(target.Project, target.Pool!, upload with { Name = target.Name, Pool = null }, ct);

    /// <summary>The import is aimed at the member with the rest (see <see cref="RestoreStrategies.For"/>).</summary>
    public bool ImportLandsOnMember => true;

    public Task MoveToMemberAsync(RestoreTarget target, CancellationToken ct) => Task.CompletedTask;

    public Task RenameAsync(RestoreTarget target, string newName, CancellationToken ct) =>
        server.StorageVolumes.RenameAsync(target.Project, target.Pool!, target.Name, newName, ct);

    public async Task DeleteAsync(RestoreTarget target)
    {
        using var limit = new CancellationTokenSource(InstancePower.CleanupLimit);
        if (await ExistsAsync(target, limit.Token).ConfigureAwait(false))
            await server.StorageVolumes.DeleteAsync(target.Project, target.Pool!, target.Name, limit.Token).ConfigureAwait(false);
    }

    public IEnumerable<SwapAction> AfterSwap(RestoreTarget target, string retiredName) =>
    [
        // Users are repointed one at a time; repointing back is safe whatever part was done, so it also undoes a failed run.
        new SwapAction(RestoreSteps.Repoint,
            ct => RepointUsersAsync(target, retiredName, target.Name, ct),
            () => RepointUsersAsync(target, target.Name, retiredName, CancellationToken.None),
            UndoIfFailed: true),
    ];

    /// <summary>
    /// Points every instance disk device that uses pool/<paramref name="from"/> at <paramref name="to"/>. Incus's
    /// rename already moved them to the renamed original; this moves them to the restored volume.
    /// </summary>
    private async Task RepointUsersAsync(RestoreTarget target, string from, string to, CancellationToken ct)
    {
        var holders = new List<StorageVolume>();
        foreach (var name in new[] { from, to })
        {
            if (await server.StorageVolumes.TryGetCustomAsync(target.Project, target.Pool!, name, ct).ConfigureAwait(false) is { } volume)
                holders.Add(volume);
        }
        foreach (var (userProject, userName) in holders.SelectMany(v => v.InstanceUsers(target.Project)).Distinct())
        {
            var instance = await server.Instances.TryGetAsync(userProject, userName, ct).ConfigureAwait(false);
            if (instance is null || !Repoint(instance.Devices, target.Pool!, from, to)) continue;
            await server.Instances.UpdateAsync(userProject, userName, instance.ToUpdate(), ct).ConfigureAwait(false);
        }
    }

    private static bool Repoint(Dictionary<string, Dictionary<string, string>> devices, string pool, string from, string to)
    {
        var changed = false;
        foreach (var device in devices.Values)
        {
            if (device.GetValueOrDefault("type") == "disk" && device.GetValueOrDefault("pool") == pool && device.GetValueOrDefault("source") == from)
            {
                device["source"] = to;
                changed = true;
            }
        }
        return changed;
    }
}

using System.Text.Json;
using IncusBackup.Archive;
using IncusBackup.Errors;
using IncusBackup.Incus;
using IncusBackup.Repository;
using static IncusBackup.Restore.RestoreStrategies;

namespace IncusBackup.Restore;

/// <summary>Restoring instances: POST /1.0/instances with X-Incus-name and X-Incus-pool, renames, and what an instance references.</summary>
internal sealed class InstanceRestoreStrategy(IIncusServer server) : IRestoreStrategy
{
    public BackupKind Kind => BackupKind.Instance;
    public string Noun => "instance";
    public bool CanStart => true;

    public bool Accepts(BackupIndex index) => index.IsInstance;

    public void ValidateName(string name)
    {
        if (!ResourceName.IsValidInstanceName(name))
        {
            throw new IncusBackupException(ErrorIds.InvalidName, ErrorKind.InvalidArgument,
                $"'{name}' is not a valid instance name (1-63 letters, digits and '-', not starting or ending with '-', not all digits).", name);
        }
    }

    /// <summary>Only a mapped root pool is sent (X-Incus-pool); otherwise the server keeps the recorded one.</summary>
    public string? TargetPool(RestoreRequest request, BackupManifest manifest, BackupIndex index) =>
        request.PoolMap.TryGetValue(index.Pool, out var pool) ? pool : null;

    public IEnumerable<string> RequiredPools(RestoreRequest request, BackupIndex index, RestoreTarget target) =>
        index.References.Pools.Select(p => Mapped(request.PoolMap, p)).Append(target.Pool).OfType<string>().Distinct();

    public async Task<List<string>> MissingReferencesAsync(RestoreRequest request, BackupManifest manifest, BackupIndex index, RestoreTarget target, CancellationToken ct)
    {
        var missing = new List<string>();
        foreach (var network in index.References.Networks.Concat(index.References.NicParents).Select(n => Mapped(request.NetworkMap, n)).Distinct())
        {
            if (await server.Networks.TryGetAsync(target.Project, network, ct).ConfigureAwait(false) is null)
                missing.Add($"network '{network}'");
        }
        foreach (var profile in index.References.Profiles.Select(p => Mapped(request.ProfileMap, p)).Distinct())
        {
            if (await server.Profiles.TryGetAsync(target.Project, profile, ct).ConfigureAwait(false) is null)
                missing.Add($"profile '{profile}' in project '{target.Project}'");
        }
        foreach (var (pool, volume, _) in AttachedVolumes(manifest))
        {
            var mappedPool = Mapped(request.PoolMap, pool);
            if (await server.StorageVolumes.TryGetCustomAsync(target.Project, mappedPool, volume, ct).ConfigureAwait(false) is null)
                missing.Add($"custom volume '{mappedPool}/{volume}' in project '{target.Project}'");
        }
        return missing;
    }

    public async Task<ExistingTarget?> InspectAsync(RestoreTarget target, ConflictMode conflict, CancellationToken ct)
    {
        var existing = await server.Instances.TryGetAsync(target.Project, target.Name, ct).ConfigureAwait(false);
        if (existing is null) return null;
        return ExistingTarget.Of(existing.IsActive, existing.IsActive ? [existing] : []);
    }

    public async Task<bool> ExistsAsync(RestoreTarget target, CancellationToken ct) =>
        await server.Instances.TryGetAsync(target.Project, target.Name, ct).ConfigureAwait(false) is not null;

    public Task<string> StartImportAsync(RestoreTarget target, BackupUpload upload, CancellationToken ct) =>
        server.Instances.StartImportAsync(target.Project, upload with { Name = target.Name, Pool = target.Pool }, ct);

    public bool ImportLandsOnMember => false;

    public async Task MoveToMemberAsync(RestoreTarget target, CancellationToken ct)
    {
        if (target.Member is not { } member) return;
        var imported = await server.Instances.TryGetAsync(target.Project, target.Name, ct).ConfigureAwait(false);
        if (imported is null || ClusterLocation.MemberOf(imported.Location) == member) return;
        await server.Instances.MoveToMemberAsync(target.Project, target.Name, member, ct).ConfigureAwait(false);
    }

    public Task RenameAsync(RestoreTarget target, string newName, CancellationToken ct) =>
        server.Instances.RenameAsync(target.Project, target.Name, newName, ct);

    public Task DeleteAsync(RestoreTarget target) => InstancePower.DeleteAsync(server, target.Project, target.Name);

    /// <summary>
    /// The restored copy carries the original's MAC addresses (they are in its backup), and Incus will not start it on
    /// a managed network while the original, kept aside until the end, holds them too: the original lets go of them.
    /// Undone (a rollback), the copy lets go of them and the original gets them back, so that the original can start.
    /// </summary>
    public IEnumerable<SwapAction> AfterSwap(RestoreTarget target, string retiredName)
    {
        var released = new Dictionary<string, string>();
        yield return new SwapAction(RestoreSteps.ReleaseAddresses,
            async ct =>
            {
                foreach (var (key, value) in await InstancePower.ReleaseHardwareAddressesAsync(server, target.Project, retiredName, ct).ConfigureAwait(false))
                    released[key] = value;
            },
            async () =>
            {
                if (released.Count == 0) return;
                await InstancePower.ReleaseHardwareAddressesAsync(server, target.Project, target.Name, CancellationToken.None).ConfigureAwait(false);
                await InstancePower.SetConfigAsync(server, target.Project, retiredName, released, CancellationToken.None).ConfigureAwait(false);
            });
    }

    /// <summary>Custom volumes attached by the instance's own disk devices; Block: attached without a path (a VM's block volume).</summary>
    internal static IEnumerable<(string Pool, string Volume, bool Block)> AttachedVolumes(BackupManifest manifest)
    {
        if (manifest.Source is not { ValueKind: JsonValueKind.Object } source || !source.TryGetProperty("devices", out var devices) || devices.ValueKind != JsonValueKind.Object)
            yield break;
        foreach (var device in devices.EnumerateObject())
        {
            var d = device.Value;
            if (Str(d, "type") == "disk" && Str(d, "pool") is { } pool && Str(d, "source") is { } volume && !volume.StartsWith('/') && Str(d, "path") != "/")
                yield return (pool, volume, Str(d, "path") is null);
        }

        static string? Str(JsonElement e, string key) => e.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
    }
}

using IncusBackup.Archive;
using IncusBackup.Errors;
using IncusBackup.Incus;
using IncusBackup.Repository;
using IncusBackup.Verify;
using static IncusBackup.Restore.RestoreStrategies;

namespace IncusBackup.Restore;

/// <summary>
/// Plans a restore without changing anything: reads and cross-checks the backup's seal, reads the archive's
/// index, applies the mappings, checks that the server has everything the backup needs, looks at the target, and
/// writes down the steps. Every kind has the same plan shape; <see cref="IRestoreStrategy"/> supplies the rest.
/// </summary>
public sealed class RestorePlanner(IIncusServer server)
{
    private readonly ArchiveUploader _uploader = new(server);

    public async Task<RestorePlan> PlanAsync(IBackupRepository repository, RestoreRequest request, BackupKind kind, CancellationToken ct)
    {
        var backup = request.Backup;
        var seal = await BackupVerifier.ReadSealAsync(repository, backup, ct).ConfigureAwait(false);
        var manifest = seal.Manifest;
        var member = await ClusterPlacement.ChooseAsync(server, request.TargetMember, manifest.Server.Member, ct).ConfigureAwait(false);
        var strategy = RestoreStrategies.For(kind, server, member);
        if (!string.Equals(manifest.Kind, kind.ToString(), StringComparison.OrdinalIgnoreCase))
        {
            throw new IncusBackupException(ErrorIds.BackupKindMismatch, ErrorKind.InvalidArgument,
                $"{backup} is a {manifest.Kind} backup, not a {strategy.Noun} backup.", backup.ToString(),
                $"Use Restore-Incus{(manifest.Kind == "volume" ? "Volume" : "Instance")} for it.");
        }
        if (manifest.Files.Count == 0)
        {
            throw new IncusBackupException(ErrorIds.ManifestInvalid, ErrorKind.InvalidData, $"The manifest of {backup} lists no archive.", backup.ToString());
        }
        var index = await ReadIndexAsync(repository, backup, seal, ct).ConfigureAwait(false);
        if (!strategy.Accepts(index))
        {
            throw new IncusBackupException(ErrorIds.BackupKindMismatch, ErrorKind.InvalidData,
                $"The archive of {backup} holds a {index.Type}, not a {strategy.Noun}.", backup.ToString());
        }
        if (ArchiveConsistency.Compare(manifest, index) is { Count: > 0 } problems)
        {
            // A damaged file is reported as such (ChecksumMismatch); an intact one that holds something else was swapped in.
            await BackupVerifier.VerifyFilesAsync(repository, backup, seal, null, ct).ConfigureAwait(false);
            throw ArchiveConsistency.Mismatch(backup, problems);
        }

        var name = request.NewName ?? manifest.Name;
        strategy.ValidateName(name);
        ResourceName.EnsureSafeSegment(name, strategy.Noun);
        var target = new RestoreTarget(kind, Mapped(request.ProjectMap, manifest.Project), strategy.TargetPool(request, manifest, index), name, member);
        var mapping = new RestoreMapping
        {
            Pools = request.PoolMap,
            Networks = request.NetworkMap,
            Profiles = request.ProfileMap,
            Projects = request.ProjectMap,
            TargetPool = kind == BackupKind.Instance ? target.Pool : null,
            // A copy beside the original gets MAC addresses of its own; a restore under the original name keeps them.
            NewMacAddresses = kind == BackupKind.Instance && (name != manifest.Name || request.NewMacAddresses),
        };
        static bool Changes(IReadOnlyDictionary<string, string> map) => map.Any(pair => pair.Key != pair.Value);
        var needsRewrite = mapping.NewMacAddresses || new[] { request.PoolMap, request.NetworkMap, request.ProfileMap, request.ProjectMap }.Any(Changes);
        var releaseHardwareAddresses = false;
        if (index.Optimized && needsRewrite)
        {
            // The driver stream carries the backup.yaml the server imports: only what travels outside the archive
            // can change (the name and the root pool as headers, the project in the URL, new MAC addresses cleared
            // after the import). Measured: a rewritten index.yaml alone is ignored, and the copy keeps the MACs.
            if (new[] { request.NetworkMap, request.ProfileMap, request.ProjectMap }.Any(Changes)
                || (kind == BackupKind.Instance && request.PoolMap.Any(pair => pair.Key != pair.Value && pair.Key != index.Pool)))
            {
                throw new IncusBackupException(ErrorIds.OptimizedMappingUnsupported, ErrorKind.InvalidArgument,
                    $"{backup} is an optimized backup: its configuration is inside the storage driver's stream, so -ProjectMap, -NetworkMap, -ProfileMap and pools other than the root pool cannot be mapped. Nothing was changed.",
                    backup.ToString(), "Restore it without those mappings (-NewName and the root pool's -PoolMap work), or restore a version taken without -Optimized.");
            }
            releaseHardwareAddresses = mapping.NewMacAddresses;
            needsRewrite = false;
        }

        await CheckDependenciesAsync(strategy, request, manifest, index, target, ct).ConfigureAwait(false);
        var existing = await strategy.InspectAsync(target, request.Conflict, ct).ConfigureAwait(false);
        var skip = existing is not null && request.Conflict == ConflictMode.SkipExisting;
        var replace = existing is not null && !skip;

        var plan = new RestorePlan
        {
            Request = request,
            Repository = repository,
            Seal = seal,
            Kind = kind,
            Target = target,
            TargetExists = existing is not null,
            TargetRunning = existing?.Running == true,
            AffectedInstances = existing?.RunningUsers ?? [],
            EphemeralInstances = existing?.Ephemeral ?? [],
            Mapping = mapping,
            NeedsRewrite = needsRewrite,
            ReleaseHardwareAddresses = releaseHardwareAddresses,
            Skip = skip,
            TemporaryName = replace ? await FreeNameAsync(strategy, target, "ibnew", ct).ConfigureAwait(false) : null,
            RetiredName = replace ? await FreeNameAsync(strategy, target, "ibold", ct).ConfigureAwait(false) : null,
            ServerName = replace ? await Backup.FreezeJournal.ServerNameAsync(server, ct).ConfigureAwait(false) : "",
        };
        plan.Steps = skip ? [new RestoreStep($"Skip existing {strategy.Noun}", target.ToString(), _ => Task.CompletedTask)]
            : replace ? ReplaceSteps(plan, strategy, plan.TemporaryName!, plan.RetiredName!)
            : FreshSteps(plan, strategy);
        return plan;
    }

    /// <summary>
    /// On a cluster, the step that moves an imported instance to its member (Incus imports it on the member the
    /// client is connected to); null when the import lands there by itself or no member was chosen. A failed move
    /// leaves the copy where it was imported; a replace rolls back as after any failed step.
    /// </summary>
    private static RestoreStep? MoveStep(IRestoreStrategy strategy, RestoreTarget target) =>
        target.Member is null || strategy.ImportLandsOnMember ? null
            : new RestoreStep($"Move {strategy.Noun} to member", $"{target} to {target.Member}", step => strategy.MoveToMemberAsync(target, step.Cancellation));

    /// <summary>" on member m" where the import itself lands on the target's member; a move step says it otherwise.</summary>
    private static string Landing(IRestoreStrategy strategy, RestoreTarget target) => strategy.ImportLandsOnMember ? target.OnMember : "";

    /// <summary>A restore onto a free name: upload it in place (and start it if asked). Nothing to roll back.</summary>
    private List<RestoreStep> FreshSteps(RestorePlan plan, IRestoreStrategy strategy)
    {
        var target = plan.Target;
        var steps = new List<RestoreStep>
        {
            new($"Restore {strategy.Noun}", $"{target}{Landing(strategy, target)} from {Source(plan)}", async step =>
                step.Mapped = await _uploader.UploadAsync(plan, strategy, target, step.Reporter, step.Cancellation).ConfigureAwait(false)),
        };
        if (MoveStep(strategy, target) is { } move) steps.Add(move);
        if (strategy.CanStart && plan.Request.Start) steps.Add(StartStep(target.Project, target.Name, undo: false));
        return steps;
    }

    /// <summary>
    /// Replaces the target without ever leaving the operator without one: upload under a temporary name (the
    /// original is untouched), stop what runs on it, rename the original aside and the upload into place (and, for
    /// volumes, repoint the users' devices), start again what ran, and only then delete the original. Any failure
    /// before that last step undoes the finished actions in reverse, so the original comes back as it was.
    /// </summary>
    private List<RestoreStep> ReplaceSteps(RestorePlan plan, IRestoreStrategy strategy, string temporary, string retired)
    {
        var target = plan.Target;
        var upload = target.Named(temporary);
        var prefix = target.Kind == BackupKind.Volume ? $"{target.Project}/{target.Pool}" : target.Project;
        var steps = new List<RestoreStep>
        {
            new($"Upload backup as temporary {strategy.Noun}", $"{prefix}/{temporary}{Landing(strategy, target)} from {Source(plan)}", step =>
                step.Log.RunAsync(RestoreSteps.Upload,
                    async () => step.Mapped = await _uploader.UploadAsync(plan, strategy, upload, step.Reporter, step.Cancellation,
                        operation => step.Journal?.Accepted(operation)).ConfigureAwait(false),
                    () => strategy.DeleteAsync(upload))),
        };
        // Before anything is stopped: the original runs on while the copy travels to its member.
        if (MoveStep(strategy, upload) is { } move) steps.Add(move);
        foreach (var instance in plan.AffectedInstances)
        {
            var (project, name) = Split(instance);
            var ephemeral = plan.EphemeralInstances.Contains(instance);
            steps.Add(new RestoreStep("Stop instance", instance, async step =>
            {
                // Written down before it is stopped (or made non-ephemeral): a recovery starts it again.
                step.Journal?.Stopping(instance, ephemeral ? RestoreSteps.Keep : RestoreSteps.Stop);
                // Incus deletes an ephemeral instance when it stops: keep it, for the swap and for a rollback.
                if (ephemeral)
                {
                    await step.Log.RunAsync(RestoreSteps.Keep,
                        () => InstancePower.SetEphemeralAsync(server, project, name, false, step.Cancellation),
                        () => InstancePower.SetEphemeralAsync(server, project, name, true, CancellationToken.None)).ConfigureAwait(false);
                }
                await step.Log.RunAsync(RestoreSteps.Stop,
                    () => InstancePower.StopAsync(server, project, name, step.Reporter, step.Cancellation),
                    () => InstancePower.StartAsync(server, project, name, CancellationToken.None)).ConfigureAwait(false);
                step.Stopped.Add(instance);
            }));
        }
        steps.Add(new RestoreStep($"Swap restored {strategy.Noun} in", $"{target} (original kept as {retired} until the swap succeeds)", async step =>
        {
            await step.Log.RunAsync(RestoreSteps.Retire,
                () => strategy.RenameAsync(target, retired, step.Cancellation),
                () => strategy.RenameAsync(target.Named(retired), target.Name, CancellationToken.None)).ConfigureAwait(false);
            await step.Log.RunAsync(RestoreSteps.Swap,
                () => strategy.RenameAsync(upload, target.Name, step.Cancellation),
                () => strategy.RenameAsync(target, temporary, CancellationToken.None)).ConfigureAwait(false);
            foreach (var action in strategy.AfterSwap(target, retired))
                await step.Log.RunAsync(action.Name, () => action.Run(step.Cancellation), action.Undo, action.UndoIfFailed).ConfigureAwait(false);
        }));
        var startAgain = plan.AffectedInstances.ToList();
        if (strategy.CanStart && plan.Request.Start && !startAgain.Contains(target.ToString())) startAgain.Add(target.ToString());
        plan.StartAgain = startAgain;
        foreach (var instance in startAgain)
        {
            var (project, name) = Split(instance);
            // The restored instance brings its own ephemeral flag; an instance that only used the volume gets its own back.
            var ephemeral = plan.EphemeralInstances.Contains(instance) && instance != target.ToString();
            steps.Add(StartStep(project, name, undo: true, ephemeral));
        }
        steps.Add(new RestoreStep($"Delete original {strategy.Noun}", $"{prefix}/{retired}", async step =>
        {
            try
            {
                // Through the log for the journal (a recovery finishes the delete); nothing to undo.
                await step.Log.RunAsync(RestoreSteps.Delete, () => strategy.DeleteAsync(target.Named(retired)), undo: null).ConfigureAwait(false);
                step.Reporter.Verbose($"Deleted the original {strategy.Noun} {prefix}/{retired}.");
            }
            catch (IncusBackupException e)
            {
                step.Reporter.Warning($"The restore succeeded, but the original {strategy.Noun} {prefix}/{retired} could not be deleted ({e.Message}); delete it by hand.");
            }
        }, isCommit: true));
        return steps;
    }

    private RestoreStep StartStep(string project, string name, bool undo, bool ephemeral = false) =>
        new("Start instance", $"{project}/{name}", async step =>
        {
            await step.Log.RunAsync(RestoreSteps.Start,
                () => InstancePower.StartAsync(server, project, name, step.Cancellation),
                undo ? () => InstancePower.StopAsync(server, project, name, step.Reporter, CancellationToken.None) : null).ConfigureAwait(false);
            step.Started.Add($"{project}/{name}");
            if (ephemeral)
            {
                await step.Log.RunAsync(RestoreSteps.Ephemeral,
                    () => InstancePower.SetEphemeralAsync(server, project, name, true, step.Cancellation),
                    () => InstancePower.SetEphemeralAsync(server, project, name, false, CancellationToken.None)).ConfigureAwait(false);
            }
        });

    /// <summary>
    /// Reads backup/index.yaml, the archive's first entry. An archive that cannot be read is verified in full
    /// first, so a corrupt file is reported as a checksum mismatch rather than as a strange archive.
    /// </summary>
    private static async Task<BackupIndex> ReadIndexAsync(IBackupRepository repository, BackupRecord backup, BackupSeal seal, CancellationToken ct)
    {
        var archive = seal.Manifest.Files[0].Name;
        try
        {
            await using var stream = await repository.OpenReadAsync(backup, archive, ct).ConfigureAwait(false);
            return await BackupIndex.ReadIndexAsync(stream, ct).ConfigureAwait(false);
        }
        catch (InvalidDataException e)
        {
            await BackupVerifier.VerifyFilesAsync(repository, backup, seal, null, ct).ConfigureAwait(false);
            throw new IncusBackupException(ErrorIds.ArchiveInvalid, ErrorKind.InvalidData, $"The archive of {backup} is not an Incus backup: {e.Message}", backup.ToString(), inner: e);
        }
        catch (IOException e)
        {
            throw BackupVerifier.Unreadable(backup, archive, e);
        }
    }

    private async Task CheckDependenciesAsync(IRestoreStrategy strategy, RestoreRequest request, BackupManifest manifest, BackupIndex index,
        RestoreTarget target, CancellationToken ct)
    {
        var missing = new List<string>();
        if (await server.Projects.TryGetAsync(target.Project, ct).ConfigureAwait(false) is null)
        {
            missing.Add($"project '{target.Project}'");
        }
        else
        {
            foreach (var pool in strategy.RequiredPools(request, index, target))
            {
                if (await server.StoragePools.TryGetAsync(pool, ct).ConfigureAwait(false) is null)
                    missing.Add($"storage pool '{pool}'");
            }
            missing.AddRange(await strategy.MissingReferencesAsync(request, manifest, index, target, ct).ConfigureAwait(false));
        }
        if (missing.Count > 0)
        {
            throw new IncusBackupException(ErrorIds.DependencyMissing, ErrorKind.NotFound,
                $"Restoring {request.Backup} needs what the server lacks: {string.Join(", ", missing)}. Nothing was changed.",
                request.Backup.ToString(),
                "Create them first (Restore-IncusVolume restores custom volumes), or map them with -ProjectMap, -PoolMap, -NetworkMap or -ProfileMap.");
        }
        await CheckOptimizedDriverAsync(request, index, target, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// An optimized backup holds the storage driver's own stream (btrfs send, zfs send...): only a pool of the same
    /// driver can take it. Refused here, before any change, rather than half-way by the server.
    /// </summary>
    private async Task CheckOptimizedDriverAsync(RestoreRequest request, BackupIndex index, RestoreTarget target, CancellationToken ct)
    {
        // An instance without a mapped root pool goes to the one it was backed up from.
        var poolName = target.Pool ?? index.Pool;
        if (!index.Optimized || poolName.Length == 0 || index.Backend.Length == 0) return;
        var pool = await server.StoragePools.TryGetAsync(poolName, ct).ConfigureAwait(false);
        if (pool is null || string.Equals(pool.Driver, index.Backend, StringComparison.OrdinalIgnoreCase)) return;
        throw new IncusBackupException(ErrorIds.OptimizedDriverMismatch, ErrorKind.InvalidArgument,
            $"{request.Backup} is an optimized backup of a {index.Backend} pool: it restores only onto a {index.Backend} pool, and '{poolName}' is {pool.Driver}. Nothing was changed.",
            request.Backup.ToString(),
            $"Restore it onto a {index.Backend} pool (-PoolMap), or restore another version taken without -Optimized.");
    }

    /// <summary>A name like "web-ibnew" (or "web-ibnew2"...) that is free, within Incus's 63-character limit.</summary>
    private static async Task<string> FreeNameAsync(IRestoreStrategy strategy, RestoreTarget target, string tag, CancellationToken ct)
    {
        for (var n = 1; ; n++)
        {
            var suffix = "-" + tag + (n > 1 ? n.ToString(System.Globalization.CultureInfo.InvariantCulture) : "");
            var candidate = (target.Name.Length + suffix.Length > 63 ? target.Name[..(63 - suffix.Length)] : target.Name) + suffix;
            if (!await strategy.ExistsAsync(target.Named(candidate), ct).ConfigureAwait(false)) return candidate;
        }
    }

    private static string Source(RestorePlan plan) => $"{plan.Request.Backup.Project}/{plan.Request.Backup.Name}@{plan.Request.Backup.Version}";

    private static (string Project, string Name) Split(string instance)
    {
        var slash = instance.IndexOf('/');
        return (instance[..slash], instance[(slash + 1)..]);
    }
}

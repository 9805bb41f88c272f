using System.Diagnostics;
using System.IO.Pipelines;
using System.Net.Http.Headers;
using System.Text.Json;
using IncusBackup.Archive;
using IncusBackup.Backup;
using IncusBackup.Errors;
using IncusBackup.Incus;
using IncusBackup.Repository;

namespace IncusBackup.Restore;

/// <summary>
/// Restores instances and custom volumes from verified backups. <see cref="PlanInstanceAsync"/> and
/// <see cref="PlanVolumeAsync"/> only read (checksums, server state, pre-flight); <see cref="ExecuteAsync"/> changes
/// the server, and for a replace does so as a transaction that puts the original back on any failure.
/// </summary>
public sealed class RestoreEngine(IncusClient client)
{
    private const int StopTimeoutSeconds = 30;
    private static readonly TimeSpan CleanupLimit = TimeSpan.FromSeconds(120);

    /// <summary>Test hook: runs before each step of a replace, so a test can make one fail.</summary>
    internal Func<string, Task>? BeforeStep { get; init; }

    public Task<RestorePlan> PlanInstanceAsync(RestoreRequest request, CancellationToken ct) => PlanAsync(request, BackupKind.Instance, ct);

    public Task<RestorePlan> PlanVolumeAsync(RestoreRequest request, CancellationToken ct) => PlanAsync(request, BackupKind.Volume, ct);

    private async Task<RestorePlan> PlanAsync(RestoreRequest request, BackupKind kind, CancellationToken ct)
    {
        var backup = request.Backup;
        var manifest = await BackupVerifier.VerifyAsync(backup.Path, null, ct).ConfigureAwait(false);
        if (!string.Equals(manifest.Kind, kind.ToString(), StringComparison.OrdinalIgnoreCase))
        {
            throw new IncusBackupException(ErrorIds.BackupKindMismatch, ErrorKind.InvalidArgument,
                $"{backup} is a {manifest.Kind} backup, not a {kind.ToString().ToLowerInvariant()} backup.", backup.ToString(),
                $"Use Restore-Incus{(manifest.Kind == "volume" ? "Volume" : "Instance")} for it.");
        }
        var archive = ArchivePath(backup.Path, manifest);
        BackupIndex index;
        await using (var stream = File.OpenRead(archive))
        {
            try
            {
                index = await BackupIndex.ReadIndexAsync(stream, ct).ConfigureAwait(false);
            }
            catch (InvalidDataException e)
            {
                throw new IncusBackupException(ErrorIds.ArchiveInvalid, ErrorKind.InvalidData, $"'{archive}' is not an Incus backup: {e.Message}", archive, inner: e);
            }
        }
        if (index.IsInstance != (kind == BackupKind.Instance))
        {
            throw new IncusBackupException(ErrorIds.BackupKindMismatch, ErrorKind.InvalidData,
                $"The archive of {backup} holds a {index.Type}, not a {kind.ToString().ToLowerInvariant()}.", archive);
        }

        var targetProject = Mapped(request.ProjectMap, manifest.Project);
        var targetName = request.NewName ?? manifest.Name;
        if (kind == BackupKind.Instance && !ResourceName.IsValidInstanceName(targetName))
        {
            throw new IncusBackupException(ErrorIds.InvalidName, ErrorKind.InvalidArgument,
                $"'{targetName}' is not a valid instance name (1-63 letters, digits and '-', not starting or ending with '-', not all digits).", targetName);
        }
        ResourceName.EnsureSafeSegment(targetName, kind.ToString().ToLowerInvariant());
        string? targetPool = kind == BackupKind.Volume
            ? Mapped(request.PoolMap, manifest.Pool ?? index.Pool)
            : request.PoolMap.TryGetValue(index.Pool, out var rootPool) ? rootPool : null;

        var mapping = new RestoreMapping
        {
            Pools = request.PoolMap,
            Networks = request.NetworkMap,
            Profiles = request.ProfileMap,
            Projects = request.ProjectMap,
            TargetPool = kind == BackupKind.Instance ? targetPool : null,
        };
        var needsRewrite = new[] { request.PoolMap, request.NetworkMap, request.ProfileMap, request.ProjectMap }
            .Any(map => map.Any(pair => pair.Key != pair.Value));

        await CheckDependenciesAsync(kind, index, manifest, request, targetProject, targetPool, ct).ConfigureAwait(false);

        var what = kind == BackupKind.Instance ? "instance" : "volume";
        var display = kind == BackupKind.Instance ? $"{targetProject}/{targetName}" : $"{targetProject}/{targetPool}/{targetName}";
        var source = $"{backup.Project}/{backup.Name}@{backup.Version}";
        var steps = new List<PlanStep>();
        IReadOnlyList<string> affected = [];
        bool exists, targetRunning = false;
        string? temporary = null, retired = null;
        if (kind == BackupKind.Instance)
        {
            var existing = await client.TryGetAsync(IncusPath.Instance(targetProject, targetName), IncusJsonContext.Default.IncusInstance, ct).ConfigureAwait(false);
            exists = existing is not null;
            targetRunning = existing?.Status is "Running" or "Frozen";
            if (targetRunning) affected = [$"{targetProject}/{targetName}"];
        }
        else
        {
            var existing = await client.TryGetAsync(IncusPath.Volume(targetProject, targetPool!, targetName), IncusJsonContext.Default.StorageVolume, ct).ConfigureAwait(false);
            exists = existing is not null;
            if (existing is not null)
            {
                // Incus 6.0.4 cannot rename a volume that a profile attaches while instances use that profile
                // (the profile update fails validation half-way), so the swap cannot be done safely: refuse up front.
                var profiles = existing.ProfileUsers(targetProject).Select(p => p.Name).ToList();
                if (profiles.Count > 0 && request.Conflict != ConflictMode.SkipExisting)
                {
                    throw new IncusBackupException(ErrorIds.ReplaceNotSupported, ErrorKind.InvalidArgument,
                        $"{targetProject}/{targetPool}/{targetName} is attached through profile(s) {string.Join(", ", profiles)}; it cannot be replaced in place. Nothing was changed.",
                        $"{targetProject}/{targetPool}/{targetName}",
                        "Restore it beside the original with -NewName and point the profile at the copy, or remove the device from the profile first.");
                }
                affected = (await client.RunningUsersAsync(existing, targetProject, ct).ConfigureAwait(false)).Select(i => $"{i.Project}/{i.Name}").ToList();
            }
        }

        var skip = exists && request.Conflict == ConflictMode.SkipExisting;
        if (skip)
        {
            steps.Add(new PlanStep($"Skip existing {what}", display));
        }
        else if (!exists)
        {
            steps.Add(new PlanStep($"Restore {what}", $"{display} from {source}"));
            if (kind == BackupKind.Instance && request.Start) steps.Add(new PlanStep("Start instance", display));
        }
        else
        {
            temporary = await FreeNameAsync(kind, targetProject, targetPool, targetName, "ibnew", ct).ConfigureAwait(false);
            retired = await FreeNameAsync(kind, targetProject, targetPool, targetName, "ibold", ct).ConfigureAwait(false);
            var prefix = kind == BackupKind.Instance ? targetProject : $"{targetProject}/{targetPool}";
            steps.Add(new PlanStep($"Upload backup as temporary {what}", $"{prefix}/{temporary} from {source}"));
            foreach (var instance in affected) steps.Add(new PlanStep("Stop instance", instance));
            steps.Add(new PlanStep($"Swap restored {what} in", $"{display} (original kept as {retired} until the swap succeeds)"));
            if (kind == BackupKind.Volume)
                foreach (var instance in affected) steps.Add(new PlanStep("Start instance", instance));
            else if (targetRunning || request.Start)
                steps.Add(new PlanStep("Start instance", display));
            steps.Add(new PlanStep($"Delete original {what}", $"{prefix}/{retired}"));
        }

        return new RestorePlan
        {
            Request = request,
            Manifest = manifest,
            Kind = kind,
            TargetProject = targetProject,
            TargetPool = targetPool,
            TargetName = targetName,
            TargetExists = exists,
            TargetRunning = targetRunning,
            AffectedInstances = affected,
            TemporaryName = temporary,
            RetiredName = retired,
            Mapping = mapping,
            NeedsRewrite = needsRewrite,
            Skip = skip,
            Steps = steps,
        };
    }

    public async Task<RestoreResult> ExecuteAsync(RestorePlan plan, IBackupReporter reporter, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var backup = plan.Request.Backup;
        if (plan.Skip)
        {
            reporter.Verbose($"{plan.TargetProject}/{plan.TargetName} exists; skipped.");
            return Result(plan, RestoreAction.Skipped, [], [], started: false, clock.Elapsed);
        }

        if (!plan.TargetExists)
        {
            var mapped = await ImportAsync(plan, plan.TargetName, reporter, ct).ConfigureAwait(false);
            var started = false;
            if (plan.Kind == BackupKind.Instance && plan.Request.Start)
            {
                await SetStateAsync(plan.TargetProject, plan.TargetName, "start", ct).ConfigureAwait(false);
                started = true;
            }
            reporter.Verbose($"Restored {backup} as {plan.TargetProject}/{plan.TargetName}.");
            return Result(plan, RestoreAction.Restored, mapped, [], started, clock.Elapsed);
        }

        var (changes, restarted, startedTarget) = plan.Kind == BackupKind.Instance
            ? await ReplaceInstanceAsync(plan, reporter, ct).ConfigureAwait(false)
            : await ReplaceVolumeAsync(plan, reporter, ct).ConfigureAwait(false);
        reporter.Verbose($"Replaced {plan.TargetProject}/{plan.TargetName} with {backup}.");
        return Result(plan, RestoreAction.Replaced, changes, restarted, startedTarget, clock.Elapsed);
    }

    /// <summary>
    /// Replaces an instance without ever leaving the operator without one:
    /// 1. import the backup under a temporary name (the original is untouched);
    /// 2. stop the original if it runs; 3. rename the original aside; 4. rename the import into place;
    /// 5. start it if the original ran (or -Start). Any failure undoes the finished steps in reverse order, so the
    /// original ends up with its name, data, config, snapshots and running state, and the import is deleted.
    /// Only after all that succeeded is the set-aside original deleted (a failure there is just a warning).
    /// </summary>
    private async Task<(string[] Changes, string[] Restarted, bool Started)> ReplaceInstanceAsync(RestorePlan plan, IBackupReporter reporter, CancellationToken ct)
    {
        string project = plan.TargetProject, name = plan.TargetName, temporary = plan.TemporaryName!, retired = plan.RetiredName!;
        var startAfter = plan.TargetRunning || plan.Request.Start;
        var tx = new UndoLog(reporter, BeforeStep);
        string[] changes = [];
        try
        {
            await tx.RunAsync("upload", async () => changes = await ImportAsync(plan, temporary, reporter, ct).ConfigureAwait(false),
                () => DeleteInstanceAsync(project, temporary)).ConfigureAwait(false);
            if (plan.TargetRunning)
            {
                await tx.RunAsync("stop", () => StopAsync(project, name, reporter, ct),
                    () => SetStateAsync(project, name, "start", CancellationToken.None)).ConfigureAwait(false);
            }
            await tx.RunAsync("retire", () => RenameInstanceAsync(project, name, retired, ct),
                () => RenameInstanceAsync(project, retired, name, CancellationToken.None)).ConfigureAwait(false);
            await tx.RunAsync("swap", () => RenameInstanceAsync(project, temporary, name, ct),
                () => RenameInstanceAsync(project, name, temporary, CancellationToken.None)).ConfigureAwait(false);
            if (startAfter)
            {
                await tx.RunAsync("start", () => SetStateAsync(project, name, "start", ct),
                    () => StopAsync(project, name, reporter, CancellationToken.None)).ConfigureAwait(false);
            }
        }
        catch (Exception e)
        {
            await tx.RollBackAsync().ConfigureAwait(false);
            throw RolledBack(plan, e, tx);
        }
        await CommitAsync(reporter, $"original instance {project}/{retired}", () => DeleteInstanceAsync(project, retired)).ConfigureAwait(false);
        return (changes, plan.TargetRunning ? [$"{project}/{name}"] : [], startAfter);
    }

    /// <summary>
    /// Replaces a custom volume. Incus cannot delete or rename a volume in use by running instances, but renaming
    /// one used by stopped instances repoints their devices. So: 1. import under a temporary name; 2. stop the
    /// running users; 3. rename the original aside (devices follow it); 4. rename the import into place;
    /// 5. point the users' devices at it; 6. start the users again. A failure undoes the finished steps in
    /// reverse (the original gets its name back and the users their devices and running state) and deletes the
    /// import. The set-aside original is deleted only after everything succeeded.
    /// </summary>
    private async Task<(string[] Changes, string[] Restarted, bool Started)> ReplaceVolumeAsync(RestorePlan plan, IBackupReporter reporter, CancellationToken ct)
    {
        string project = plan.TargetProject, pool = plan.TargetPool!, name = plan.TargetName, temporary = plan.TemporaryName!, retired = plan.RetiredName!;
        var tx = new UndoLog(reporter, BeforeStep);
        string[] changes = [];
        var stopped = new List<(string Project, string Name)>();
        try
        {
            await tx.RunAsync("upload", async () => changes = await ImportAsync(plan, temporary, reporter, ct).ConfigureAwait(false),
                () => client.DeleteAsync(IncusPath.Volume(project, pool, temporary), CancellationToken.None)).ConfigureAwait(false);
            var original = await client.GetAsync(IncusPath.Volume(project, pool, name), IncusJsonContext.Default.StorageVolume, ct).ConfigureAwait(false);
            foreach (var user in await client.RunningUsersAsync(original, project, ct).ConfigureAwait(false))
            {
                await tx.RunAsync("stop", () => StopAsync(user.Project, user.Name, reporter, ct),
                    () => SetStateAsync(user.Project, user.Name, "start", CancellationToken.None)).ConfigureAwait(false);
                stopped.Add((user.Project, user.Name));
            }
            await tx.RunAsync("retire", () => RenameVolumeAsync(project, pool, name, retired, ct),
                () => RenameVolumeAsync(project, pool, retired, name, CancellationToken.None)).ConfigureAwait(false);
            await tx.RunAsync("swap", () => RenameVolumeAsync(project, pool, temporary, name, ct),
                () => RenameVolumeAsync(project, pool, name, temporary, CancellationToken.None)).ConfigureAwait(false);
            await tx.RunAsync("repoint", () => RepointUsersAsync(project, pool, retired, name, ct),
                () => RepointUsersAsync(project, pool, name, retired, CancellationToken.None)).ConfigureAwait(false);
            foreach (var (userProject, userName) in stopped)
            {
                await tx.RunAsync("start", () => SetStateAsync(userProject, userName, "start", ct),
                    () => StopAsync(userProject, userName, reporter, CancellationToken.None)).ConfigureAwait(false);
            }
        }
        catch (Exception e)
        {
            await tx.RollBackAsync().ConfigureAwait(false);
            throw RolledBack(plan, e, tx);
        }
        await CommitAsync(reporter, $"original volume {project}/{pool}/{retired}",
            () => client.DeleteAsync(IncusPath.Volume(project, pool, retired), CancellationToken.None)).ConfigureAwait(false);
        return (changes, stopped.Select(s => $"{s.Project}/{s.Name}").ToArray(), false);
    }

    /// <summary>
    /// Uploads the archive to the server under <paramref name="name"/>, rewriting its YAML on the way when a
    /// mapping needs it. Streams the file (or the rewriter's output) straight into the request: no copy on disk,
    /// nothing whole in memory. If interrupted after the server accepted the upload, waits for the import to end
    /// and deletes what it created.
    /// </summary>
    private async Task<string[]> ImportAsync(RestorePlan plan, string name, IBackupReporter reporter, CancellationToken ct)
    {
        var archive = ArchivePath(plan.Request.Backup.Path, plan.Manifest);
        var display = $"{plan.TargetProject}/{name}";
        var path = plan.Kind == BackupKind.Instance
            ? IncusPath.Scoped("/1.0/instances", plan.TargetProject)
            : IncusPath.Scoped($"/1.0/storage-pools/{IncusPath.Esc(plan.TargetPool!)}/volumes/custom", plan.TargetProject);
        var total = new FileInfo(archive).Length;
        await using var file = new FileStream(archive, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.Asynchronous | FileOptions.SequentialScan);
        var progress = new ProgressReadStream(file, read => reporter.Progress(new ItemProgress(display, "Uploading", read, total)));

        using var request = new HttpRequestMessage(HttpMethod.Post, path);
        Task<RewriteSummary>? rewrite = null;
        Pipe? pipe = null;
        if (plan.NeedsRewrite)
        {
            pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 8 << 20, resumeWriterThreshold: 4 << 20));
            var writer = pipe.Writer;
            rewrite = Task.Run(async () =>
            {
                try
                {
                    await using var output = writer.AsStream(leaveOpen: true);
                    var summary = await ArchiveRewriter.RewriteAsync(progress, output, plan.Mapping, ct).ConfigureAwait(false);
                    await writer.CompleteAsync().ConfigureAwait(false);
                    return summary;
                }
                catch (Exception e)
                {
                    await writer.CompleteAsync(e).ConfigureAwait(false);
                    throw;
                }
            }, CancellationToken.None);
            request.Content = new StreamContent(pipe.Reader.AsStream());
        }
        else
        {
            request.Content = new StreamContent(progress, 1 << 20);
            request.Content.Headers.ContentLength = total;
        }
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        request.Headers.Add("X-Incus-name", name);
        if (plan.Kind == BackupKind.Instance && plan.TargetPool is not null) request.Headers.Add("X-Incus-pool", plan.TargetPool);

        string operation;
        try
        {
            using var response = await client.SendStreamingAsync(request, ct).ConfigureAwait(false);
            var envelope = await IncusClient.ReadEnvelopeAsync(response, CancellationToken.None).ConfigureAwait(false);
            operation = envelope.Operation ?? throw new IncusApiException(500, $"The server did not start an import for {display}.");
        }
        catch (IncusApiException e)
        {
            throw new IncusBackupException(ErrorIds.RestoreFailed, ErrorKind.OperationFailed,
                $"The server refused the backup of {plan.Describe}: {e.Message}", display, inner: e);
        }
        finally
        {
            if (rewrite is not null)
            {
                try
                {
                    await rewrite.ConfigureAwait(false);
                }
                catch (Exception) when (ct.IsCancellationRequested)
                {
                }
            }
        }
        reporter.Progress(new ItemProgress(display, "Restoring on the server", total, total));
        try
        {
            await client.WaitAsync(operation, null, ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            await UndoInterruptedImportAsync(plan, name, operation, reporter).ConfigureAwait(false);
            throw;
        }
        catch (IncusApiException e)
        {
            throw new IncusBackupException(ErrorIds.RestoreFailed, ErrorKind.OperationFailed,
                $"Restoring {plan.Describe} failed on the server: {e.Message}", display, inner: e);
        }
        if (rewrite is null) return [];
        var summary = await rewrite.ConfigureAwait(false);
        foreach (var warning in summary.Warnings) reporter.Warning($"{display}: {warning}");
        return [.. summary.Changes];
    }

    private async Task UndoInterruptedImportAsync(RestorePlan plan, string name, string operation, IBackupReporter reporter)
    {
        using var limit = new CancellationTokenSource(CleanupLimit);
        try
        {
            await client.WaitAsync(operation, null, limit.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IncusBackupException or OperationCanceledException)
        {
            return; // Failed (nothing created) or still running after the limit.
        }
        try
        {
            if (plan.Kind == BackupKind.Instance) await DeleteInstanceAsync(plan.TargetProject, name).ConfigureAwait(false);
            else await client.DeleteAsync(IncusPath.Volume(plan.TargetProject, plan.TargetPool!, name), limit.Token).ConfigureAwait(false);
            reporter.Verbose($"Removed {plan.TargetProject}/{name}, imported by the interrupted restore.");
        }
        catch (IncusBackupException e)
        {
            reporter.Warning($"The interrupted restore left {plan.TargetProject}/{name} behind: {e.Message}");
        }
    }

    private async Task CheckDependenciesAsync(BackupKind kind, BackupIndex index, BackupManifest manifest, RestoreRequest request,
        string targetProject, string? targetPool, CancellationToken ct)
    {
        var missing = new List<string>();
        if (await client.TryGetAsync($"/1.0/projects/{IncusPath.Esc(targetProject)}", IncusJsonContext.Default.IncusProject, ct).ConfigureAwait(false) is null)
        {
            missing.Add($"project '{targetProject}'");
        }
        else
        {
            var pools = kind == BackupKind.Volume
                ? [targetPool!]
                : index.References.Pools.Select(p => Mapped(request.PoolMap, p)).Append(targetPool).OfType<string>().Distinct();
            foreach (var pool in pools)
            {
                if (await client.TryGetAsync($"/1.0/storage-pools/{IncusPath.Esc(pool)}", IncusJsonContext.Default.StoragePool, ct).ConfigureAwait(false) is null)
                    missing.Add($"storage pool '{pool}'");
            }
            if (kind == BackupKind.Instance)
            {
                foreach (var network in index.References.Networks.Concat(index.References.NicParents).Select(n => Mapped(request.NetworkMap, n)).Distinct())
                {
                    if (await client.TryGetAsync(IncusPath.Scoped($"/1.0/networks/{IncusPath.Esc(network)}", targetProject), IncusJsonContext.Default.AnyObject, ct).ConfigureAwait(false) is null)
                        missing.Add($"network '{network}'");
                }
                foreach (var profile in index.References.Profiles.Select(p => Mapped(request.ProfileMap, p)).Distinct())
                {
                    if (await client.TryGetAsync(IncusPath.Scoped($"/1.0/profiles/{IncusPath.Esc(profile)}", targetProject), IncusJsonContext.Default.AnyObject, ct).ConfigureAwait(false) is null)
                        missing.Add($"profile '{profile}' in project '{targetProject}'");
                }
                foreach (var (pool, volume) in AttachedVolumes(manifest))
                {
                    var mappedPool = Mapped(request.PoolMap, pool);
                    if (await client.TryGetAsync(IncusPath.Volume(targetProject, mappedPool, volume), IncusJsonContext.Default.StorageVolume, ct).ConfigureAwait(false) is null)
                        missing.Add($"custom volume '{mappedPool}/{volume}' in project '{targetProject}'");
                }
            }
        }
        if (missing.Count > 0)
        {
            throw new IncusBackupException(ErrorIds.DependencyMissing, ErrorKind.NotFound,
                $"Restoring {request.Backup} needs what the server lacks: {string.Join(", ", missing)}. Nothing was changed.",
                request.Backup.ToString(),
                "Create them first (Restore-IncusVolume restores custom volumes), or map them with -ProjectMap, -PoolMap, -NetworkMap or -ProfileMap.");
        }
    }

    /// <summary>Custom volumes attached by the instance's own disk devices ("pool/volume").</summary>
    private static IEnumerable<(string Pool, string Volume)> AttachedVolumes(BackupManifest manifest)
    {
        if (manifest.Source is not { ValueKind: JsonValueKind.Object } source || !source.TryGetProperty("devices", out var devices) || devices.ValueKind != JsonValueKind.Object)
            yield break;
        foreach (var device in devices.EnumerateObject())
        {
            var d = device.Value;
            if (Str(d, "type") == "disk" && Str(d, "pool") is { } pool && Str(d, "source") is { } volume && !volume.StartsWith('/') && Str(d, "path") != "/")
                yield return (pool, volume);
        }

        static string? Str(JsonElement e, string key) => e.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
    }

    /// <summary>
    /// Points every instance disk device that uses pool/<paramref name="from"/> at <paramref name="to"/>. Incus's
    /// rename already moved them to the renamed original; this moves them to the restored volume.
    /// </summary>
    private async Task RepointUsersAsync(string project, string pool, string from, string to, CancellationToken ct)
    {
        var volume = await client.GetAsync(IncusPath.Volume(project, pool, to), IncusJsonContext.Default.StorageVolume, ct).ConfigureAwait(false);
        var old = await client.TryGetAsync(IncusPath.Volume(project, pool, from), IncusJsonContext.Default.StorageVolume, ct).ConfigureAwait(false);
        var holders = old is null ? [volume] : new[] { old, volume };
        foreach (var (userProject, userName) in holders.SelectMany(v => v.InstanceUsers(project)).Distinct())
        {
            var path = IncusPath.Instance(userProject, userName);
            var instance = await client.GetAsync(path, IncusJsonContext.Default.IncusInstance, ct).ConfigureAwait(false);
            if (!Repoint(instance.Devices, pool, from, to)) continue;
            var update = new InstanceUpdate
            {
                Architecture = instance.Architecture, Config = instance.Config, Devices = instance.Devices, Ephemeral = instance.Ephemeral,
                Profiles = instance.Profiles, Stateful = instance.Stateful, Description = instance.Description,
            };
            await client.ExecuteAsync(HttpMethod.Put, path, update, IncusJsonContext.Default.InstanceUpdate, null, ct).ConfigureAwait(false);
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

    /// <summary>A name like "web-ibnew" (or "web-ibnew2"...) that is free, within Incus's 63-character limit.</summary>
    private async Task<string> FreeNameAsync(BackupKind kind, string project, string? pool, string name, string tag, CancellationToken ct)
    {
        for (var n = 1; ; n++)
        {
            var suffix = "-" + tag + (n > 1 ? n.ToString(System.Globalization.CultureInfo.InvariantCulture) : "");
            var candidate = (name.Length + suffix.Length > 63 ? name[..(63 - suffix.Length)] : name) + suffix;
            var taken = kind == BackupKind.Instance
                ? await client.TryGetAsync(IncusPath.Instance(project, candidate), IncusJsonContext.Default.IncusInstance, ct).ConfigureAwait(false) is not null
                : await client.TryGetAsync(IncusPath.Volume(project, pool!, candidate), IncusJsonContext.Default.StorageVolume, ct).ConfigureAwait(false) is not null;
            if (!taken) return candidate;
        }
    }

    /// <summary>Stops cleanly (30 s), then forcefully if the instance does not shut down.</summary>
    private async Task StopAsync(string project, string name, IBackupReporter reporter, CancellationToken ct)
    {
        try
        {
            await client.ChangeStateAsync(project, name, "stop", ct, timeoutSeconds: StopTimeoutSeconds).ConfigureAwait(false);
        }
        catch (IncusApiException e) when (!e.Message.Contains("already stopped", StringComparison.OrdinalIgnoreCase))
        {
            reporter.Warning($"{project}/{name} did not stop within {StopTimeoutSeconds} s ({e.Message}); forcing it.");
            await client.ChangeStateAsync(project, name, "stop", ct, force: true, timeoutSeconds: StopTimeoutSeconds).ConfigureAwait(false);
        }
        catch (IncusApiException)
        {
            // Already stopped: the goal is reached.
        }
    }

    private async Task SetStateAsync(string project, string name, string action, CancellationToken ct)
    {
        try
        {
            await client.ChangeStateAsync(project, name, action, ct, timeoutSeconds: StopTimeoutSeconds).ConfigureAwait(false);
        }
        catch (IncusOperationLostException)
        {
            // The operation ended and was forgotten before we read it: the instance's state says how it ended.
            var instance = await client.GetAsync(IncusPath.Instance(project, name), IncusJsonContext.Default.IncusInstance, ct).ConfigureAwait(false);
            if (instance.Status != (action == "start" ? "Running" : "Stopped")) throw;
        }
    }

    private Task RenameInstanceAsync(string project, string from, string to, CancellationToken ct) =>
        client.ExecuteAsync(HttpMethod.Post, IncusPath.Instance(project, from), new RenameRequest { Name = to }, IncusJsonContext.Default.RenameRequest, null, ct);

    private Task RenameVolumeAsync(string project, string pool, string from, string to, CancellationToken ct) =>
        client.ExecuteAsync(HttpMethod.Post, IncusPath.Volume(project, pool, from), new RenameRequest { Name = to }, IncusJsonContext.Default.RenameRequest, null, ct);

    private async Task DeleteInstanceAsync(string project, string name)
    {
        using var limit = new CancellationTokenSource(CleanupLimit);
        var instance = await client.TryGetAsync(IncusPath.Instance(project, name), IncusJsonContext.Default.IncusInstance, limit.Token).ConfigureAwait(false);
        if (instance is null) return;
        if (instance.Status is "Running" or "Frozen")
        {
            await client.ChangeStateAsync(project, name, "stop", limit.Token, force: true).ConfigureAwait(false);
        }
        await client.DeleteAsync(IncusPath.Instance(project, name), limit.Token).ConfigureAwait(false);
    }

    private static async Task CommitAsync(IBackupReporter reporter, string what, Func<Task> delete)
    {
        try
        {
            await delete().ConfigureAwait(false);
            reporter.Verbose($"Deleted the {what}.");
        }
        catch (IncusBackupException e)
        {
            reporter.Warning($"The restore succeeded, but the {what} could not be deleted ({e.Message}); delete it by hand.");
        }
    }

    private static IncusBackupException RolledBack(RestorePlan plan, Exception e, UndoLog tx)
    {
        if (e is OperationCanceledException) return new IncusBackupException(ErrorIds.Stopped, ErrorKind.OperationStopped,
            $"The restore of {plan.Describe} was stopped; {tx.Summary}", plan.Describe, inner: e);
        return new IncusBackupException(ErrorIds.ReplaceRolledBack, ErrorKind.OperationFailed,
            $"Replacing {plan.TargetProject}/{plan.TargetName} failed at step '{tx.FailedStep}' ({e.Message}); {tx.Summary}", plan.Describe,
            "The original is in place and unchanged. Fix the cause and run the restore again.", e);
    }

    private static RestoreResult Result(RestorePlan plan, RestoreAction action, string[] mapped, string[] restarted, bool started, TimeSpan duration) => new()
    {
        Kind = plan.Kind,
        Project = plan.Request.Backup.Project,
        Name = plan.Request.Backup.Name,
        Version = plan.Request.Backup.Version,
        TargetProject = plan.TargetProject,
        TargetPool = plan.TargetPool,
        NewName = plan.TargetName,
        Action = action,
        Mapped = mapped,
        RestartedInstances = restarted,
        Started = started,
        Duration = duration,
    };

    private static string Mapped(IReadOnlyDictionary<string, string> map, string value) => map.TryGetValue(value, out var mapped) ? mapped : value;

    private static string ArchivePath(string folder, BackupManifest manifest) =>
        Path.Combine(folder, manifest.Files.FirstOrDefault()?.Name ?? throw new IncusBackupException(ErrorIds.ManifestInvalid, ErrorKind.InvalidData,
            $"The manifest in '{folder}' lists no archive.", folder));
}

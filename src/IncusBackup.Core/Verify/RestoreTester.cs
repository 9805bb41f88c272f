using System.Diagnostics;
using System.Text.Json;
using IncusBackup.Errors;
using IncusBackup.Incus;
using IncusBackup.Reporting;
using IncusBackup.Repository;
using IncusBackup.Restore;

namespace IncusBackup.Verify;

/// <summary>
/// Test-IncusBackup -Restore, as dbatools' Test-DbaLastBackup does for SQL Server: after the file checks pass, the
/// backup is imported through the ordinary restore engine (<see cref="RestorePlanner"/>, <see cref="RestoreExecutor"/>)
/// into a throwaway project (or the user's test project), found there with its snapshots and config, optionally
/// started and probed with a command run inside it, and then everything the test made is deleted again: on success,
/// on failure and on cancellation (cleanup runs with its own bounded token). Each step is a named check.
/// </summary>
public static class RestoreTester
{
    /// <summary>How long the cleanup may take, whatever happened before it.</summary>
    public static readonly TimeSpan CleanupLimit = TimeSpan.FromMinutes(2);

    /// <summary>
    /// The config of a throwaway project: profiles and volumes are its own (an instance's come from its backup, see
    /// <see cref="TestProjectStandIns"/>); the default project's networks and images apply.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> ThrowawayProjectConfig = new Dictionary<string, string>
    {
        ["features.profiles"] = "true",
        ["features.images"] = "false",
        ["features.networks"] = "false",
        ["features.storage.volumes"] = "true",
        ["features.storage.buckets"] = "false",
    };

    /// <summary>The file checks (<see cref="BackupTester"/>), then, when they pass, the restore test's checks.</summary>
    public static async Task<TestResult> TestAsync(IIncusServer server, IBackupRepository repository, BackupRecord backup, RestoreTestOptions options,
        IReporter reporter, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(server);
        ArgumentNullException.ThrowIfNull(options);
        var clock = Stopwatch.StartNew();
        var files = await BackupTester.TestAsync(repository, backup, reporter, ct).ConfigureAwait(false);
        var checks = files.Checks.ToList();
        if (backup.Kind is not (BackupKind.Instance or BackupKind.Volume))
        {
            checks.Add(CheckProblems.Skipped(CheckNames.Restore,
                $"-Restore does not support {backup.Kind.ToString().ToLowerInvariant()} backups (only instances and custom volumes); the file checks ran."));
        }
        else if (files.Status == TestStatus.Failed)
        {
            checks.Add(CheckProblems.Skipped(CheckNames.Restore, "The file checks failed; nothing was imported."));
        }
        else
        {
            checks.AddRange(await RestoreAsync(server, repository, backup, options, reporter, ct).ConfigureAwait(false));
        }
        var result = new TestResult { Backup = backup, Checks = checks, Duration = clock.Elapsed };
        reporter.Verbose($"Test-restored {backup}: {result.Status} ({string.Join(", ", checks.Skip(files.Checks.Count).Select(c => $"{c.Name} {c.Outcome}"))}).");
        return result;
    }

    private static async Task<List<TestCheck>> RestoreAsync(IIncusServer server, IBackupRepository repository, BackupRecord backup, RestoreTestOptions options,
        IReporter reporter, CancellationToken ct)
    {
        var checks = new List<TestCheck>();
        var label = backup.ToString();
        // Aimed at the member the plan picks (on a cluster, the member the backup came from), once there is a plan.
        var strategy = RestoreStrategies.For(backup.Kind, server);
        var createdProject = false;
        RestoreTarget? made = null;
        var standIns = "";
        var current = CheckNames.Restore;
        try
        {
            reporter.Progress(new ItemProgress(label, "Preparing the test project", 0, null, options.Project));
            if (options.KeepProject)
            {
                if (await server.Projects.TryGetAsync(options.Project, ct).ConfigureAwait(false) is null)
                {
                    checks.Add(CheckProblems.Failed(CheckNames.Restore, ErrorIds.ProjectNotFound,
                        $"The test project '{options.Project}' does not exist; create it (incus project create) or leave -TestProject out for a throwaway one."));
                    return checks;
                }
            }
            else
            {
                await server.Projects.CreateAsync(options.Project, ThrowawayProjectConfig, $"Test-IncusBackup -Restore of {label}; delete it if it is left behind.", ct)
                    .ConfigureAwait(false);
                createdProject = true;
                reporter.Verbose($"Created the throwaway project {options.Project}.");
                if (backup.Kind == BackupKind.Instance) standIns = await TestProjectStandIns.PrepareAsync(server, repository, backup, options.Project, ct).ConfigureAwait(false);
            }

            var clock = Stopwatch.StartNew();
            var planner = new RestorePlanner(server);
            var request = new RestoreRequest
            {
                Backup = backup,
                ProjectMap = new Dictionary<string, string>(StringComparer.Ordinal) { [backup.Project] = options.Project },
                Conflict = ConflictMode.SkipExisting,
                // The copy may start beside the original on the same managed network, which refuses a MAC address twice.
                NewMacAddresses = true,
            };
            var plan = await planner.PlanAsync(repository, request, backup.Kind, ct).ConfigureAwait(false);
            strategy = RestoreStrategies.For(backup.Kind, server, plan.Target.Member);
            if (plan.TargetExists)
            {
                // Only in the user's project: restore beside what is there, never over it.
                var free = await FreeNameAsync(strategy, plan.Target, ct).ConfigureAwait(false);
                reporter.Verbose($"{plan.Target} exists in the test project; restoring as {free}.");
                plan = await planner.PlanAsync(repository, request with { NewName = free }, backup.Kind, ct).ConfigureAwait(false);
            }
            made = plan.Target;
            reporter.Progress(new ItemProgress(label, "Restoring", 0, null, made.ToString()));
            await new RestoreExecutor().ExecuteAsync(plan, reporter, ct).ConfigureAwait(false);
            checks.Add(CheckProblems.Passed(CheckNames.Restore,
                $"Imported as {made} in {clock.Elapsed.TotalSeconds:0.0} s{(standIns.Length > 0 ? $", with {standIns}" : "")}."));

            current = CheckNames.Restored;
            checks.Add(await CheckRestoredAsync(server, plan, ct).ConfigureAwait(false));

            var start = options.Start || options.Command is not null;
            if (start && backup.Kind != BackupKind.Instance)
            {
                if (options.Start) checks.Add(CheckProblems.Skipped(CheckNames.Start, "A custom volume does not start."));
                if (options.Command is not null) checks.Add(CheckProblems.Skipped(CheckNames.Script, "-Script runs inside an instance; a custom volume backup has none."));
            }
            else if (start)
            {
                current = CheckNames.Start;
                var started = await StartAsync(server, made, options.Timeout, reporter, label, ct).ConfigureAwait(false);
                checks.Add(started);
                if (options.Command is { } command)
                {
                    current = CheckNames.Script;
                    checks.Add(started.Outcome == CheckOutcome.Passed
                        ? await RunScriptAsync(server, made, command, options.Timeout, reporter, label, ct).ConfigureAwait(false)
                        : CheckProblems.Skipped(CheckNames.Script, "The instance did not start."));
                }
            }
        }
        catch (IncusBackupException e) when (e.ErrorId != ErrorIds.Stopped || !ct.IsCancellationRequested)
        {
            checks.Add(CheckProblems.Failed(current, e.ErrorId, e.Message));
        }
        catch (IncusApiException e)
        {
            checks.Add(CheckProblems.Failed(current, current == CheckNames.Restore ? ErrorIds.RestoreFailed : ErrorIds.IncusApiError, e.Message));
        }
        finally
        {
            reporter.Progress(new ItemProgress(label, "Cleaning up", 0, null, options.Project));
            var cleanup = await CleanupAsync(server, strategy, made, options, createdProject, reporter).ConfigureAwait(false);
            if (ct.IsCancellationRequested && cleanup.Outcome == CheckOutcome.Failed) reporter.Warning($"Test-restore of {label}: {cleanup.Message}");
            checks.Add(cleanup);
        }
        return checks;
    }

    /// <summary>The restored resource as the backup's source says it was: its type, every snapshot, every non-volatile config key.</summary>
    private static async Task<TestCheck> CheckRestoredAsync(IIncusServer server, RestorePlan plan, CancellationToken ct)
    {
        var target = plan.Target;
        var manifest = plan.Manifest;
        var problems = new CheckProblems(CheckNames.Restored);
        Dictionary<string, string> config;
        List<string> snapshots;
        if (target.Kind == BackupKind.Instance)
        {
            var instance = await server.Instances.TryGetAsync(target.Project, target.Name, ct).ConfigureAwait(false);
            if (instance is null) return CheckProblems.Failed(CheckNames.Restored, ErrorIds.RestoredMismatch, $"The import finished but {target} does not exist.");
            if (manifest.InstanceType is { Length: > 0 } type && instance.Type != type)
                problems.Add(ErrorIds.RestoredMismatch, $"{target} is a {instance.Type}, the backup a {type}");
            config = instance.Config;
            snapshots = [.. (await server.Instances.ListSnapshotsAsync(target.Project, target.Name, ct).ConfigureAwait(false)).Select(s => s.Name)];
        }
        else
        {
            var volume = await server.StorageVolumes.TryGetCustomAsync(target.Project, target.Pool!, target.Name, ct).ConfigureAwait(false);
            if (volume is null) return CheckProblems.Failed(CheckNames.Restored, ErrorIds.RestoredMismatch, $"The import finished but {target} does not exist.");
            config = volume.Config;
            snapshots = await server.StorageVolumes.ListSnapshotNamesAsync(target.Project, target.Pool!, target.Name, ct).ConfigureAwait(false);
        }

        var missing = manifest.Snapshots.Where(s => !snapshots.Contains(s)).ToList();
        if (missing.Count > 0) problems.Add(ErrorIds.RestoredMismatch, $"snapshots missing: {string.Join(", ", missing)}");
        var keys = SourceConfig(manifest.Source).Where(p => !p.Key.StartsWith("volatile.", StringComparison.Ordinal)).ToList();
        var differ = keys.Where(p => !config.TryGetValue(p.Key, out var value) || value != p.Value).Select(p => p.Key).ToList();
        if (differ.Count > 0) problems.Add(ErrorIds.RestoredMismatch, $"config keys missing or changed: {string.Join(", ", differ)}");
        return problems.Result(
            $"{target} exists with {Count(manifest.Snapshots.Count, "snapshot")} and {Count(keys.Count, "config key")} as backed up.");
    }

    private static async Task<TestCheck> StartAsync(IIncusServer server, RestoreTarget target, TimeSpan timeout, IReporter reporter, string label, CancellationToken ct)
    {
        reporter.Progress(new ItemProgress(label, "Starting", 0, null, target.ToString()));
        var clock = Stopwatch.StartNew();
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(timeout);
        try
        {
            await server.Instances.ChangeStateAsync(target.Project, target.Name, InstanceAction.Start, limit.Token,
                timeoutSeconds: (int)Math.Max(1, timeout.TotalSeconds)).ConfigureAwait(false);
            while (true)
            {
                var instance = await server.Instances.TryGetAsync(target.Project, target.Name, limit.Token).ConfigureAwait(false);
                if (instance?.Status == InstanceStatus.Running) break;
                await Task.Delay(TimeSpan.FromMilliseconds(500), limit.Token).ConfigureAwait(false);
            }
            return CheckProblems.Passed(CheckNames.Start, $"{target} is Running after {clock.Elapsed.TotalSeconds:0.0} s.");
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return CheckProblems.Failed(CheckNames.Start, ErrorIds.StartFailed, $"{target} was not Running after {timeout.TotalSeconds:0} s.");
        }
        catch (IncusApiException e)
        {
            return CheckProblems.Failed(CheckNames.Start, ErrorIds.StartFailed, $"{target} did not start: {e.Message}");
        }
    }

    private static async Task<TestCheck> RunScriptAsync(IIncusServer server, RestoreTarget target, IReadOnlyList<string> command, TimeSpan timeout,
        IReporter reporter, string label, CancellationToken ct)
    {
        reporter.Progress(new ItemProgress(label, "Running the script", 0, null, target.ToString()));
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(timeout);
        try
        {
            var result = await server.Instances.ExecAsync(target.Project, target.Name, command, limit.Token).ConfigureAwait(false);
            reporter.Verbose($"Script in {target} exited with {result.ExitCode}.{Tail(" stdout: ", result.Stdout)}{Tail(" stderr: ", result.Stderr)}");
            return result.ExitCode == 0
                ? CheckProblems.Passed(CheckNames.Script, $"Exit code 0.{Tail(" Output: ", result.Stdout)}")
                : CheckProblems.Failed(CheckNames.Script, ErrorIds.ScriptFailed,
                    $"The script exited with {result.ExitCode}.{Tail(" Error output: ", result.Stderr)}{Tail(" Output: ", result.Stdout)}");
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return CheckProblems.Failed(CheckNames.Script, ErrorIds.ScriptFailed, $"The script did not finish within {timeout.TotalSeconds:0} s.");
        }
        catch (IncusApiException e)
        {
            return CheckProblems.Failed(CheckNames.Script, ErrorIds.ScriptFailed, $"The script could not run in {target}: {e.Message}");
        }
    }

    /// <summary>
    /// Deletes what the test made, with its own time limit (never the caller's token: this also runs after Ctrl+C):
    /// the restored resource; in a throwaway project also anything else in it, then the project.
    /// </summary>
    private static async Task<TestCheck> CleanupAsync(IIncusServer server, IRestoreStrategy strategy, RestoreTarget? made, RestoreTestOptions options,
        bool createdProject, IReporter reporter)
    {
        using var limit = new CancellationTokenSource(CleanupLimit);
        var removed = new List<string>();
        var failures = new List<string>();
        async Task Try(string what, Func<Task> delete)
        {
            try
            {
                await delete().ConfigureAwait(false);
                removed.Add(what);
            }
            catch (Exception e) when (e is IncusApiException or IncusBackupException or OperationCanceledException or IOException or HttpRequestException)
            {
                failures.Add($"{what} ({e.Message})");
            }
        }

        if (made is not null && await Exists(strategy, made, limit.Token).ConfigureAwait(false) != false)
            await Try(made.ToString(), () => strategy.DeleteAsync(made)).ConfigureAwait(false);
        if (createdProject)
        {
            // Anything else in it (an import that failed half-way): the project only goes when it is empty.
            try
            {
                foreach (var instance in await server.Instances.ListAsync(options.Project, limit.Token).ConfigureAwait(false))
                {
                    var target = new RestoreTarget(BackupKind.Instance, options.Project, null, instance.Name);
                    await Try(target.ToString(), () => RestoreStrategies.For(BackupKind.Instance, server).DeleteAsync(target)).ConfigureAwait(false);
                }
                foreach (var pool in await server.StoragePools.ListAsync(limit.Token).ConfigureAwait(false))
                {
                    foreach (var volume in await server.StorageVolumes.ListCustomAsync(options.Project, pool.Name, limit.Token).ConfigureAwait(false))
                    {
                        var target = new RestoreTarget(BackupKind.Volume, options.Project, pool.Name, volume.Name, ClusterLocation.MemberOf(volume.Location));
                        await Try(target.ToString(), () => RestoreStrategies.For(BackupKind.Volume, server, target.Member).DeleteAsync(target)).ConfigureAwait(false);
                    }
                }
                foreach (var profile in await server.Profiles.ListObjectsAsync(options.Project, limit.Token).ConfigureAwait(false))
                {
                    if (profile["name"]?.GetValue<string>() is { } name && name != "default")
                        await Try($"profile {name}", () => server.Profiles.DeleteAsync(options.Project, name, limit.Token)).ConfigureAwait(false);
                }
            }
            catch (Exception e) when (e is IncusApiException or IncusBackupException or OperationCanceledException or IOException or HttpRequestException)
            {
                failures.Add($"the listing of project {options.Project} ({e.Message})");
            }
            await Try($"project {options.Project}", () => server.Projects.DeleteAsync(options.Project, limit.Token)).ConfigureAwait(false);
        }
        foreach (var what in removed) reporter.Verbose($"Test-restore cleanup: deleted {what}.");
        if (failures.Count > 0)
        {
            return CheckProblems.Failed(CheckNames.Cleanup, ErrorIds.CleanupFailed,
                $"Could not delete {string.Join("; ", failures)}; delete {(createdProject ? $"the project {options.Project} and what is in it" : "it")} by hand (incus project list).");
        }
        return CheckProblems.Passed(CheckNames.Cleanup, removed.Count == 0 ? "Nothing was left to delete."
            : removed.Count <= 2 ? $"Deleted {string.Join(" and ", removed)}."
            : $"Deleted {string.Join(", ", removed.Take(removed.Count - 1))} and {removed[^1]}.");
    }

    private static async Task<bool?> Exists(IRestoreStrategy strategy, RestoreTarget target, CancellationToken ct)
    {
        try
        {
            return await strategy.ExistsAsync(target, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IncusApiException or OperationCanceledException or IOException or HttpRequestException)
        {
            return null;
        }
    }

    /// <summary>A restored name that is free in the user's test project: "web-ibtest", "web-ibtest2"...</summary>
    private static async Task<string> FreeNameAsync(IRestoreStrategy strategy, RestoreTarget target, CancellationToken ct)
    {
        for (var n = 1; ; n++)
        {
            var suffix = "-ibtest" + (n > 1 ? n.ToString(System.Globalization.CultureInfo.InvariantCulture) : "");
            var candidate = (target.Name.Length + suffix.Length > 63 ? target.Name[..(63 - suffix.Length)] : target.Name) + suffix;
            if (!await strategy.ExistsAsync(target.Named(candidate), ct).ConfigureAwait(false)) return candidate;
        }
    }

    private static IEnumerable<KeyValuePair<string, string>> SourceConfig(JsonElement? source)
    {
        if (source is not { ValueKind: JsonValueKind.Object } s || !s.TryGetProperty("config", out var config) || config.ValueKind != JsonValueKind.Object) yield break;
        foreach (var p in config.EnumerateObject())
        {
            if (p.Value.ValueKind == JsonValueKind.String) yield return new(p.Name, p.Value.GetString()!);
        }
    }

    private static string Count(int n, string noun) => $"{n} {noun}{(n == 1 ? "" : "s")}";

    /// <summary>The last few hundred characters of an output, on one line, or nothing.</summary>
    private static string Tail(string prefix, string text)
    {
        var trimmed = text.Trim();
        if (trimmed.Length == 0) return "";
        if (trimmed.Length > 300) trimmed = "…" + trimmed[^300..];
        return prefix + trimmed.ReplaceLineEndings(" | ");
    }
}

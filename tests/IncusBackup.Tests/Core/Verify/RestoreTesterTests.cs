using IncusBackup.Errors;
using IncusBackup.Incus;
using IncusBackup.Tests.Core.Restore;
using IncusBackup.Verify;
using Xunit;

namespace IncusBackup.Tests.Core.Verify;

/// <summary>
/// Test-IncusBackup -Restore's engine against the in-memory server: a good backup is imported into a throwaway
/// project, checked, started and probed, and everything it made is deleted again, also when the import, the start
/// or the script fails and when the run is cancelled; a user's -TestProject is kept and nothing in it is touched.
/// </summary>
public sealed class RestoreTesterTests : IDisposable
{
    private const string Project = "ibtest-0123abcd";
    private readonly RestoreFixture _f = new();

    public void Dispose() => _f.Dispose();

    private static RestoreTestOptions Options(bool start = false, IReadOnlyList<string>? command = null) =>
        new() { Project = Project, Start = start, Command = command, Timeout = TimeSpan.FromSeconds(5) };

    private Task<TestResult> TestAsync(BackupRecord backup, RestoreTestOptions options, CancellationToken ct = default) =>
        RestoreTester.TestAsync(_f.Incus, _f.Repository, backup, options, _f.Reporter, ct);

    private static TestCheck Check(TestResult result, string name) => Assert.Single(result.Checks, c => c.Name == name);

    private void AssertNothingLeft()
    {
        Assert.DoesNotContain(Project, _f.Incus.ProjectNames);
        Assert.DoesNotContain(_f.Incus.InstanceList, i => i.Project == Project);
        Assert.DoesNotContain(_f.Incus.VolumeList, v => v.Volume.Project == Project);
    }

    [Fact]
    public async Task GoodInstanceBackup_IsImportedStartedProbedAndRemoved()
    {
        var backup = await _f.PublishInstanceAsync();
        _f.Incus.Exec = command => new ExecResult(0, "ok\n", "");

        var result = await TestAsync(backup, Options(start: true, command: ["/bin/sh", "-c", "true"]));

        Assert.Equal(TestStatus.Passed, result.Status);
        Assert.Equal(["Checksums", "Manifest", "Archive", "Content", "Restore", "Restored", "Start", "Script", "Cleanup"], result.Checks.Select(c => c.Name));
        Assert.All(result.Checks, c => Assert.Equal(CheckOutcome.Passed, c.Outcome));
        Assert.Contains($"{Project}/a1", Check(result, CheckNames.Restore).Message);
        Assert.Contains("ok", Check(result, CheckNames.Script).Message);
        var calls = _f.Incus.Calls.ToList();
        Assert.Equal(0, calls.IndexOf($"create project {Project}"));
        Assert.Contains($"import instance {Project}/a1", calls);
        Assert.Contains($"exec {Project}/a1 /bin/sh -c true", calls);
        Assert.Equal($"delete project {Project}", calls[^1]);
        AssertNothingLeft();
    }

    [Fact]
    public async Task GoodVolumeBackup_IsImportedAndRemoved_StartAndScriptAreSkipped()
    {
        var backup = await _f.PublishVolumeAsync();

        var result = await TestAsync(backup, Options(start: true, command: ["true"]));

        Assert.Equal(TestStatus.Passed, result.Status);
        Assert.Equal(CheckOutcome.Passed, Check(result, CheckNames.Restored).Outcome);
        Assert.Equal(CheckOutcome.Skipped, Check(result, CheckNames.Start).Outcome);
        Assert.Equal(CheckOutcome.Skipped, Check(result, CheckNames.Script).Outcome);
        Assert.Contains($"import volume {Project}/default/v1", _f.Incus.Calls);
        AssertNothingLeft();
    }

    [Fact]
    public async Task ScriptExitingNonZero_FailsScript_AndStillRemovesEverything()
    {
        var backup = await _f.PublishInstanceAsync();
        _f.Incus.Exec = _ => new ExecResult(1, "", "sha256sum: WARNING: 1 of 1 computed checksums did NOT match\n");

        var result = await TestAsync(backup, Options(command: ["sha256sum", "-c", "/root/sums"]));

        Assert.Equal(TestStatus.Failed, result.Status);
        Assert.Equal(ErrorIds.ScriptFailed, result.ErrorId);
        var script = Check(result, CheckNames.Script);
        Assert.Contains("exited with 1", script.Message);
        Assert.Contains("did NOT match", script.Message);
        Assert.Equal(CheckOutcome.Passed, Check(result, CheckNames.Start).Outcome); // -Script implies -Start
        Assert.Equal(CheckOutcome.Passed, Check(result, CheckNames.Cleanup).Outcome);
        AssertNothingLeft();
    }

    [Fact]
    public async Task ImportFailing_FailsRestoreWithTheReason_AndRemovesTheProject()
    {
        var backup = await _f.PublishInstanceAsync();
        _f.Incus.FailOn = call => call.StartsWith("import instance", StringComparison.Ordinal) ? new IncusApiException(500, "disk full") : null;

        var result = await TestAsync(backup, Options(start: true));

        var restore = Check(result, CheckNames.Restore);
        Assert.Equal(CheckOutcome.Failed, restore.Outcome);
        Assert.Contains("disk full", restore.Message);
        Assert.DoesNotContain(result.Checks, c => c.Name is CheckNames.Restored or CheckNames.Start);
        Assert.Equal(CheckOutcome.Passed, Check(result, CheckNames.Cleanup).Outcome);
        AssertNothingLeft();
    }

    [Fact]
    public async Task StartFailing_FailsStart_AndRemovesTheInstance()
    {
        var backup = await _f.PublishInstanceAsync();
        _f.Incus.FailOn = call => call.StartsWith("start ", StringComparison.Ordinal) ? IncusApiException.OperationFailed("no such network") : null;

        var result = await TestAsync(backup, Options(command: ["true"]));

        Assert.Equal(ErrorIds.StartFailed, result.ErrorId);
        Assert.Contains("no such network", Check(result, CheckNames.Start).Message);
        Assert.Equal(CheckOutcome.Skipped, Check(result, CheckNames.Script).Outcome);
        AssertNothingLeft();
    }

    [Fact]
    public async Task Cancelled_WhileTheScriptRuns_StillRemovesEverything()
    {
        var backup = await _f.PublishInstanceAsync();
        using var cts = new CancellationTokenSource();
        _f.Incus.Exec = _ =>
        {
            cts.Cancel(); // Ctrl+C while the command runs
            throw new OperationCanceledException(cts.Token);
        };

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => TestAsync(backup, Options(command: ["sleep", "600"]), cts.Token));

        Assert.Contains($"delete instance {Project}/a1", _f.Incus.Calls);
        AssertNothingLeft();
    }

    [Fact]
    public async Task TamperedBackup_FailsTheFileChecks_AndNothingReachesTheServer()
    {
        var backup = await _f.PublishInstanceAsync();
        RestoreFixture.CorruptArchive(backup, 100);

        var result = await TestAsync(backup, Options(start: true));

        Assert.Equal(TestStatus.Failed, result.Status);
        Assert.Equal(CheckOutcome.Skipped, Check(result, CheckNames.Restore).Outcome);
        Assert.Empty(_f.Incus.Calls);
    }

    [Fact]
    public async Task GivenTestProject_IsKept_AndWhatIsInItIsNotTouched()
    {
        var backup = await _f.PublishInstanceAsync();
        _f.Incus.ProjectNames.Add("lab");
        _f.Incus.AddInstance("lab", "a1");

        var result = await TestAsync(backup, Options() with { Project = "lab", KeepProject = true });

        Assert.Equal(TestStatus.Passed, result.Status);
        Assert.Contains("lab/a1-ibtest", Check(result, CheckNames.Restore).Message);
        Assert.Contains("lab", _f.Incus.ProjectNames);
        Assert.Equal(["a1"], _f.Incus.InstanceList.Where(i => i.Project == "lab").Select(i => i.Name));
        Assert.DoesNotContain(_f.Incus.Calls, c => c.Contains("project", StringComparison.Ordinal));
    }

    [Fact]
    public async Task MissingTestProject_FailsRestore_WithProjectNotFound()
    {
        var backup = await _f.PublishInstanceAsync();

        var result = await TestAsync(backup, Options() with { Project = "nowhere", KeepProject = true });

        Assert.Equal(ErrorIds.ProjectNotFound, Check(result, CheckNames.Restore).ErrorId);
        Assert.Empty(_f.Incus.Calls);
    }
}

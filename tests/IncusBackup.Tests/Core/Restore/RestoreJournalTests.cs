using System.Text.Json;
using IncusBackup.Errors;
using IncusBackup.Incus;
using IncusBackup.Restore;
using Xunit;

namespace IncusBackup.Tests.Core.Restore;

/// <summary>
/// A replace-restore killed between its steps (emulated: the run stops dead before an action, nothing rolled back,
/// its journal entry left with a dead pid), then the next run's recovery: the original or the restored copy is in
/// place under its own name, what ran runs again, no -ibnew/-ibold is left, and the entry is gone. One row of the
/// decision table in <see cref="RestoreJournal"/> per kill point.
/// </summary>
public sealed class RestoreJournalTests : IDisposable
{
    private readonly RestoreFixture _f = new();

    public void Dispose() => _f.Dispose();

    private BackupRecord? _instanceBackup;

    private async Task<RestorePlan> PlanInstanceAsync(bool start = false)
    {
        _instanceBackup ??= await _f.PublishInstanceAsync();
        var request = RestoreFixture.Request(_instanceBackup) with { Conflict = ConflictMode.Replace, Start = start };
        return await _f.PlanAsync(request, BackupKind.Instance);
    }

    private async Task<RestorePlan> PlanVolumeAsync()
    {
        var request = RestoreFixture.Request(await _f.PublishVolumeAsync()) with { Conflict = ConflictMode.Replace };
        return await _f.PlanAsync(request, BackupKind.Volume);
    }

    private RestoreJournalEntry SingleEntry() => RestoreJournal.Read(Assert.Single(_f.JournalEntries()))!;

    [Theory]
    [InlineData("upload", false)]
    [InlineData("stop", false)]
    [InlineData("retire", false)]
    [InlineData("swap", false)]
    [InlineData("start", true)]
    [InlineData("delete", true)]
    public async Task InstanceReplace_KilledBeforeAnAction_IsRecovered_ToOneRunningInstanceUnderItsName(string action, bool finished)
    {
        var original = _f.Incus.AddInstance("p", "a1", InstanceStatus.Running);
        var plan = await PlanInstanceAsync();

        await _f.ExecuteUntilKilledAsync(plan, action);

        var entry = SingleEntry();
        Assert.Equal((action, "Instance", "p", null, "a1", "a1-ibnew", "a1-ibold"),
            (entry.Step, entry.Kind, entry.Project, entry.Pool, entry.Name, entry.TemporaryName, entry.RetiredName));
        Assert.Equal(action == "upload" ? [] : ["p/a1"], entry.Stopped);
        Assert.Equal(["p/a1"], entry.StartAgain);
        Assert.Equal("memory", entry.Server);
        Assert.NotEqual(Environment.ProcessId, entry.Pid);

        await _f.RecoverAsync();

        Assert.Equal(["p/a1"], _f.InstanceNames());
        var now = _f.Incus.FindInstance("p", "a1")!;
        Assert.Equal(InstanceStatus.Running, now.Status);
        if (finished) Assert.NotSame(original, now);
        else Assert.Same(original, now);
        Assert.Empty(_f.JournalEntries());
        var warning = Assert.Single(_f.Reporter.Warnings);
        Assert.StartsWith(finished ? "Finished replacing p/a1 with p/a1@" : "Put the original instance p/a1 back: a restore of p/a1 from p/a1@", warning, StringComparison.Ordinal);
        Assert.Contains($"was stopped at step '{action}'", warning, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InstanceReplace_KilledJustAfterTheSwapRename_IsFinished()
    {
        // The entry says "swap" (written before the rename), the rename happened, then the run died.
        var original = _f.Incus.AddInstance("p", "a1", InstanceStatus.Running);
        var plan = await PlanInstanceAsync();
        await _f.ExecuteUntilKilledAsync(plan, "start");
        var path = Assert.Single(_f.JournalEntries());
        var entry = RestoreJournal.Read(path)!;
        entry.Step = "swap";
        RestoreJournal.Write(path, entry);

        await _f.RecoverAsync();

        Assert.Equal(["p/a1"], _f.InstanceNames());
        Assert.NotSame(original, _f.Incus.FindInstance("p", "a1"));
        Assert.Equal(InstanceStatus.Running, _f.Incus.FindInstance("p", "a1")!.Status);
        Assert.Empty(_f.JournalEntries());
    }

    [Theory]
    [InlineData("upload")]
    [InlineData("retire")]
    [InlineData("swap")]
    [InlineData("delete")]
    public async Task ReplaceOfAStoppedInstance_Killed_IsRecovered_AndStaysStopped(string action)
    {
        _f.Incus.AddInstance("p", "a1", InstanceStatus.Stopped);
        var plan = await PlanInstanceAsync();

        await _f.ExecuteUntilKilledAsync(plan, action);
        await _f.RecoverAsync();

        Assert.Equal(["p/a1"], _f.InstanceNames());
        Assert.Equal(InstanceStatus.Stopped, _f.Incus.FindInstance("p", "a1")!.Status);
        Assert.Empty(_f.JournalEntries());
        Assert.DoesNotContain(_f.Incus.Calls, c => c.StartsWith("start", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ReplaceWithStart_KilledAfterTheSwap_IsFinished_AndStartsTheRestoredInstanceAsAsked()
    {
        _f.Incus.AddInstance("p", "a1", InstanceStatus.Stopped);
        var plan = await PlanInstanceAsync(start: true);

        await _f.ExecuteUntilKilledAsync(plan, "start");
        await _f.RecoverAsync();

        Assert.Equal(["p/a1"], _f.InstanceNames());
        Assert.Equal(InstanceStatus.Running, _f.Incus.FindInstance("p", "a1")!.Status);
    }

    [Fact]
    public async Task AnEphemeralInstance_KilledAfterItWasKept_IsRunningAndEphemeralAgain()
    {
        var original = _f.Incus.AddInstance("p", "a1", InstanceStatus.Running);
        original.Ephemeral = true;
        var plan = await PlanInstanceAsync();

        await _f.ExecuteUntilKilledAsync(plan, "retire");
        Assert.Equal(InstanceStatus.Stopped, original.Status);
        Assert.False(original.Ephemeral);

        await _f.RecoverAsync();

        Assert.Same(original, _f.Incus.FindInstance("p", "a1"));
        Assert.Equal(InstanceStatus.Running, original.Status);
        Assert.True(original.Ephemeral);
        Assert.Equal(["p/a1"], _f.InstanceNames());
    }

    [Theory]
    [InlineData("upload", false)]
    [InlineData("stop", false)]
    [InlineData("retire", false)]
    [InlineData("swap", false)]
    [InlineData("repoint", true)]
    [InlineData("start", true)]
    [InlineData("delete", true)]
    public async Task VolumeReplace_KilledBeforeAnAction_IsRecovered_WithItsUsersOnItAndRunningAsBefore(string action, bool finished)
    {
        var original = _f.Incus.AddVolume("p", "default", "v1");
        var running = _f.Incus.AddInstance("p", "c1", InstanceStatus.Running);
        _f.Incus.Attach(running, "default", original);
        var stopped = _f.Incus.AddInstance("p", "c2", InstanceStatus.Stopped);
        _f.Incus.Attach(stopped, "default", original, device: "disk");
        var plan = await PlanVolumeAsync();

        await _f.ExecuteUntilKilledAsync(plan, action);
        Assert.Equal("default", SingleEntry().Pool);
        await _f.RecoverAsync();

        Assert.Equal(["p/default/v1"], _f.VolumeNames());
        if (finished) Assert.NotSame(original, _f.Incus.FindVolume("p", "default", "v1"));
        else Assert.Same(original, _f.Incus.FindVolume("p", "default", "v1"));
        Assert.Equal("v1", running.Devices["data"]["source"]);
        Assert.Equal("v1", stopped.Devices["disk"]["source"]);
        Assert.Equal(InstanceStatus.Running, running.Status);
        Assert.Equal(InstanceStatus.Stopped, stopped.Status);
        Assert.Equal(["p/c1", "p/c2"], _f.InstanceNames());
        Assert.Empty(_f.JournalEntries());
        Assert.Contains("p/default/v1", Assert.Single(_f.Reporter.Warnings), StringComparison.Ordinal);
    }

    [Fact]
    public async Task KilledWhileTheServerImports_TheRecoveryWaitsForTheImport_ThenDeletesIt()
    {
        var original = _f.Incus.AddInstance("p", "a1", InstanceStatus.Running);
        var plan = await PlanInstanceAsync();
        // Killed after the server accepted the upload, while waiting for the import: it goes on without us.
        _f.Incus.FailOn = call => call == "wait /1.0/operations/op-1" ? new SimulatedKill("wait") : null;
        var executor = new RestoreExecutor
        {
            Killed = e => e is SimulatedKill,
            Journal = new RestoreJournal(_f.JournalDirectory) { ProcessId = RestoreFixture.DeadPid() },
        };
        await Assert.ThrowsAsync<SimulatedKill>(() => executor.ExecuteAsync(plan, _f.Reporter, CancellationToken.None));
        Assert.Equal("/1.0/operations/op-1", SingleEntry().Operation);
        _f.Incus.FailOn = null;

        await _f.RecoverAsync();

        Assert.Contains("delete instance p/a1-ibnew", _f.Incus.Calls);
        Assert.Equal(["p/a1"], _f.InstanceNames());
        Assert.Same(original, _f.Incus.FindInstance("p", "a1"));
        Assert.Equal(InstanceStatus.Running, original.Status);
        Assert.Empty(_f.JournalEntries());
    }

    [Fact]
    public async Task ARestoreRun_LeavesNoEntry_WhenItSucceeds_OrRollsBackCleanly()
    {
        _f.Incus.AddInstance("p", "a1", InstanceStatus.Running);
        await _f.ExecuteAsync(await PlanInstanceAsync());
        Assert.Empty(_f.JournalEntries());

        var again = await PlanInstanceAsync();
        await Assert.ThrowsAsync<IncusBackupException>(() => _f.ExecuteAsync(again, a => a == "swap" ? throw new IncusApiException(500, "injected") : Task.CompletedTask));
        Assert.Empty(_f.JournalEntries());
    }

    [Fact]
    public async Task ARollbackThatFailedPartWay_KeepsItsEntry_AndTheNextRunPutsTheOriginalBack()
    {
        var original = _f.Incus.AddInstance("p", "a1", InstanceStatus.Running);
        var plan = await PlanInstanceAsync();
        _f.Incus.FailOn = call => call == "rename instance p/a1-ibold a1" ? IncusApiException.OperationFailed("disk gone") : null;

        var e = await Assert.ThrowsAsync<IncusBackupException>(() => _f.ExecuteAsync(plan, a => a == "swap" ? throw new IncusApiException(500, "injected") : Task.CompletedTask));
        Assert.Equal(ErrorIds.ReplaceRolledBack, e.ErrorId);
        Assert.Equal(["p/a1-ibold"], _f.InstanceNames());
        var path = Assert.Single(_f.JournalEntries());
        Assert.Equal(RestoreJournalEntry.RollBack, RestoreJournal.Read(path)!.Recovery);

        // Still this (live) process's entry: left alone.
        await _f.RecoverAsync();
        Assert.Equal(["p/a1-ibold"], _f.InstanceNames());

        // Once the process has ended, the next run puts the original back and starts it again.
        PretendDead(path);
        _f.Incus.FailOn = null;
        await _f.RecoverAsync();

        Assert.Equal(["p/a1"], _f.InstanceNames());
        Assert.Same(original, _f.Incus.FindInstance("p", "a1"));
        Assert.Equal(InstanceStatus.Running, original.Status);
        Assert.Empty(_f.JournalEntries());
    }

    [Fact]
    public async Task ARecoveryThatFails_WarnsAndKeepsTheEntry_ForTheNextRun()
    {
        var original = _f.Incus.AddInstance("p", "a1", InstanceStatus.Running);
        await _f.ExecuteUntilKilledAsync(await PlanInstanceAsync(), "swap");
        _f.Incus.FailOn = call => call == "rename instance p/a1-ibold a1" ? IncusApiException.OperationFailed("busy") : null;

        await _f.RecoverAsync();

        Assert.Contains("could not be recovered yet (busy); the next restore run tries again", Assert.Single(_f.Reporter.Warnings), StringComparison.Ordinal);
        Assert.Equal(RestoreJournalEntry.RollBack, SingleEntry().Recovery);

        _f.Incus.FailOn = null;
        await _f.RecoverAsync();
        Assert.Equal(["p/a1"], _f.InstanceNames());
        Assert.Same(original, _f.Incus.FindInstance("p", "a1"));
        Assert.Equal(InstanceStatus.Running, original.Status);
        Assert.Empty(_f.JournalEntries());
    }

    [Fact]
    public async Task EntriesOfLiveRuns_AndOfOtherServers_AreLeftAlone()
    {
        _f.Incus.AddInstance("p", "a1", InstanceStatus.Running);
        await _f.ExecuteUntilKilledAsync(await PlanInstanceAsync(), "swap");
        var path = Assert.Single(_f.JournalEntries());
        var entry = RestoreJournal.Read(path)!;

        entry.Server = "another";
        RestoreJournal.Write(path, entry);
        await _f.RecoverAsync();
        entry.Server = "memory";
        entry.Pid = 1; // pid 1 lives as long as the machine does
        RestoreJournal.Write(path, entry);
        await _f.RecoverAsync();

        Assert.Equal(["p/a1-ibnew", "p/a1-ibold"], _f.InstanceNames());
        Assert.Single(_f.JournalEntries());
        Assert.Empty(_f.Reporter.Warnings);
    }

    [Fact]
    public async Task NamesTheDeadRunCannotHaveLeft_AreNotTouched_AndSaidSo()
    {
        _f.Incus.AddInstance("p", "a1", InstanceStatus.Running);
        await _f.ExecuteUntilKilledAsync(await PlanInstanceAsync(), "swap");
        // Someone renamed the set-aside original in the meantime: both copies are still there, neither in place.
        await _f.Incus.Instances.RenameAsync("p", "a1-ibold", "mine", CancellationToken.None);

        await _f.RecoverAsync();

        Assert.Equal(["p/a1-ibnew", "p/mine"], _f.InstanceNames());
        Assert.Contains("which that run cannot have left; nothing was changed", Assert.Single(_f.Reporter.Warnings), StringComparison.Ordinal);
        Assert.Empty(_f.JournalEntries());
    }

    [Theory]
    [InlineData("upload", true, true, false, "rollback")]
    [InlineData("upload", true, false, false, "rollback")]
    [InlineData("stop", true, true, false, "rollback")]
    [InlineData("retire", true, true, false, "rollback")]
    [InlineData("retire", false, true, true, "rollback")]
    [InlineData("swap", false, true, true, "rollback")]
    [InlineData("swap", true, false, true, "finish")]
    [InlineData("swap", true, true, false, "rollback")]
    [InlineData("repoint", true, false, true, "finish")]
    [InlineData("start", true, false, true, "finish")]
    [InlineData("delete", true, false, false, "finish")]
    [InlineData("retire", true, true, true, "manual")]
    [InlineData("swap", false, true, false, "manual")]
    [InlineData("start", true, true, true, "manual")]
    [InlineData("start", false, false, true, "manual")]
    public void TheDecisionTable(string step, bool n, bool t, bool r, string decision) =>
        Assert.Equal(decision, RestoreRecovery.Decide(new RestoreJournalEntry { Step = step }, n, t, r));

    [Fact]
    public void AnEntry_IsPlainJson_WithEveryFieldARecoveryNeeds()
    {
        var entry = new RestoreJournalEntry { Server = "s", Kind = "Volume", Project = "p", Pool = "default", Name = "v1", TemporaryName = "v1-ibnew", RetiredName = "v1-ibold", Stopped = ["p/c1"], Step = "stop", Pid = 7, BootId = "b" };
        var path = Path.Combine(Path.GetTempPath(), "ib-entry-" + Guid.NewGuid().ToString("N") + ".json");
        try
        {
            RestoreJournal.Write(path, entry);
            using var json = JsonDocument.Parse(File.ReadAllText(path));
            var names = json.RootElement.EnumerateObject().Select(p => p.Name).ToList();
            Assert.Subset(names.ToHashSet(), new HashSet<string> { "server", "kind", "project", "pool", "name", "temporary_name", "retired_name", "stopped", "start_again", "step", "pid", "boot_id", "started_at" });
            Assert.False(File.Exists(path + ".tmp"));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void TheJournal_LivesInTheUsersStateFolder() =>
        Assert.EndsWith(Path.Combine("incus-backup", "restores"), RestoreJournal.ForCurrentUser().Directory, StringComparison.Ordinal);

    private static void PretendDead(string path)
    {
        var entry = RestoreJournal.Read(path)!;
        entry.Pid = RestoreFixture.DeadPid();
        RestoreJournal.Write(path, entry);
    }
}

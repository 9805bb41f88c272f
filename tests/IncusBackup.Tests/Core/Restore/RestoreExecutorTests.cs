using IncusBackup.Archive;
using IncusBackup.Errors;
using IncusBackup.Incus;
using IncusBackup.Restore;
using Xunit;

namespace IncusBackup.Tests.Core.Restore;

/// <summary>
/// Running a plan against the in-memory server: what reaches the server and in which order, what a replace leaves
/// behind, how every failure of a replace is rolled back to the original, and that a damaged archive never
/// reaches the server.
/// </summary>
public sealed class RestoreExecutorTests : IDisposable
{
    private const string V = RestoreFixture.Version;
    private readonly RestoreFixture _f = new();

    public void Dispose() => _f.Dispose();

    private static Func<string, Task> FailAt(string action, Exception? failure = null) =>
        a => a == action ? Task.FromException(failure ?? new IncusApiException(500, $"injected at {action}")) : Task.CompletedTask;

    private async Task<RestorePlan> PlanInstanceAsync(Func<RestoreRequest, RestoreRequest>? change = null)
    {
        var request = RestoreFixture.Request(await _f.PublishInstanceAsync());
        return await _f.PlanAsync(change is null ? request : change(request), BackupKind.Instance);
    }

    private async Task<RestorePlan> PlanVolumeAsync(Func<RestoreRequest, RestoreRequest>? change = null)
    {
        var request = RestoreFixture.Request(await _f.PublishVolumeAsync());
        return await _f.PlanAsync(change is null ? request : change(request), BackupKind.Volume);
    }

    /// <summary>Volume v1 in p/default used by running c1 (device "data") and stopped c2 (device "disk").</summary>
    private (StorageVolume Volume, IncusInstance Running, IncusInstance Stopped) VolumeWithUsers()
    {
        var volume = _f.Incus.AddVolume("p", "default", "v1");
        var running = _f.Incus.AddInstance("p", "c1", InstanceStatus.Running);
        _f.Incus.Attach(running, "default", volume);
        var stopped = _f.Incus.AddInstance("p", "c2", InstanceStatus.Stopped);
        _f.Incus.Attach(stopped, "default", volume, device: "disk");
        return (volume, running, stopped);
    }

    [Fact]
    public async Task FreshRestore_SendsTheArchiveByteForByte_AndLeavesTheInstanceStopped()
    {
        var plan = await PlanInstanceAsync();

        var result = await _f.ExecuteAsync(plan);

        Assert.Equal(RestoreFixture.InstanceArchive, _f.Incus.Imported["a1"]);
        Assert.Equal(["import instance p/a1", "wait /1.0/operations/op-1"], _f.Incus.Calls);
        Assert.Equal(RestoreAction.Restored, result.Action);
        Assert.Equal(BackupKind.Instance, result.Kind);
        Assert.Equal(("p", "a1", V, "p", "a1"), (result.Project, result.Name, result.Version, result.TargetProject, result.TargetName));
        Assert.Equal("default", result.TargetPool); // the root pool it was backed up from
        Assert.Empty(result.Mapped);
        Assert.Empty(result.RestartedInstances);
        Assert.False(result.Started);
        Assert.Equal(InstanceStatus.Stopped, _f.Incus.FindInstance("p", "a1")!.Status);
        Assert.Equal($"Restored Instance p/a1 from p/a1@{V}", result.ToString());
    }

    [Fact]
    public async Task FreshRestore_WithStart_StartsTheInstance()
    {
        var plan = await PlanInstanceAsync(r => r with { Start = true });

        var result = await _f.ExecuteAsync(plan);

        Assert.Equal(["import instance p/a1", "wait /1.0/operations/op-1", "start p/a1"], _f.Incus.Calls);
        Assert.Equal(InstanceStatus.Running, _f.Incus.FindInstance("p", "a1")!.Status);
        Assert.True(result.Started);
        Assert.Equal(RestoreAction.Restored, result.Action);
        Assert.Empty(result.RestartedInstances);
    }

    [Fact]
    public async Task FreshRestore_VerifiesWhileUploading_WithoutAPassOfItsOwn()
    {
        var plan = await PlanInstanceAsync();
        var size = RestoreFixture.InstanceArchive.Length;

        await _f.ExecuteAsync(plan);

        var phases = _f.Reporter.ProgressReports.Select(p => p.Phase).Distinct().ToList();
        Assert.Equal(["Uploading", "Restoring on the server"], phases);
        var uploading = _f.Reporter.ProgressReports.Where(p => p.Phase == "Uploading").ToList();
        Assert.All(uploading, p => Assert.Equal(size, p.TotalBytes));
        Assert.Equal(size, uploading[^1].Bytes);
        Assert.Equal("p/a1", uploading[0].Item);
    }

    [Fact]
    public async Task FreshVolumeRestore_ImportsIntoItsPool()
    {
        var plan = await PlanVolumeAsync(r => r with { NewName = "v2", Start = true });

        var result = await _f.ExecuteAsync(plan);

        Assert.Equal(["import volume p/default/v2", "wait /1.0/operations/op-1"], _f.Incus.Calls);
        Assert.Equal(RestoreFixture.VolumeArchive, _f.Incus.Imported["v2"]);
        Assert.Equal(["p/default/v2"], _f.VolumeNames());
        Assert.Equal(RestoreAction.Restored, result.Action);
        Assert.Equal(("default", "v2", false), (result.TargetPool, result.TargetName, result.Started));
    }

    [Fact]
    public async Task ReplaceOfARunningInstance_RunsTheSwapInOrder_AndDeletesTheOriginal()
    {
        var original = _f.Incus.AddInstance("p", "a1", InstanceStatus.Running);
        var plan = await PlanInstanceAsync(r => r with { Conflict = ConflictMode.Replace });
        var actions = new List<string>();

        var result = await _f.ExecuteAsync(plan, a =>
        {
            actions.Add(a);
            return Task.CompletedTask;
        });

        Assert.Equal(
        [
            "import instance p/a1-ibnew",
            "wait /1.0/operations/op-1",
            "stop p/a1",
            "rename instance p/a1 a1-ibold",
            "rename instance p/a1-ibnew a1",
            "start p/a1",
            "delete instance p/a1-ibold",
        ], _f.Incus.Calls);
        Assert.Equal(["upload", "stop", "retire", "swap", "release-addresses", "start", "delete"], actions);
        Assert.Equal(RestoreAction.Replaced, result.Action);
        Assert.Equal(["p/a1"], result.RestartedInstances);
        Assert.True(result.Started);
        Assert.Equal(["p/a1"], _f.InstanceNames());
        Assert.DoesNotContain(original, _f.Incus.InstanceList);
        var restored = _f.Incus.FindInstance("p", "a1")!;
        Assert.NotSame(original, restored);
        Assert.Equal(InstanceStatus.Running, restored.Status);
        Assert.Equal(RestoreFixture.InstanceArchive, _f.Incus.Imported["a1-ibnew"]);
        Assert.Empty(_f.Reporter.Warnings);
    }

    [Fact]
    public async Task ReplaceOfAStoppedInstance_LeavesItStopped()
    {
        _f.Incus.AddInstance("p", "a1", InstanceStatus.Stopped);
        var plan = await PlanInstanceAsync(r => r with { Conflict = ConflictMode.Replace });

        var result = await _f.ExecuteAsync(plan);

        Assert.Equal(
        [
            "import instance p/a1-ibnew",
            "wait /1.0/operations/op-1",
            "rename instance p/a1 a1-ibold",
            "rename instance p/a1-ibnew a1",
            "delete instance p/a1-ibold",
        ], _f.Incus.Calls);
        Assert.Equal(RestoreAction.Replaced, result.Action);
        Assert.Empty(result.RestartedInstances);
        Assert.False(result.Started);
        Assert.Equal(InstanceStatus.Stopped, _f.Incus.FindInstance("p", "a1")!.Status);
    }

    [Theory]
    [InlineData("upload")]
    [InlineData("stop")]
    [InlineData("retire")]
    [InlineData("swap")]
    [InlineData("start")]
    public async Task InstanceReplace_FailingAtAnyAction_IsRolledBackToTheRunningOriginal(string action)
    {
        var original = _f.Incus.AddInstance("p", "a1", InstanceStatus.Running);
        var plan = await PlanInstanceAsync(r => r with { Conflict = ConflictMode.Replace });

        var e = await Assert.ThrowsAsync<IncusBackupException>(() => _f.ExecuteAsync(plan, FailAt(action)));

        Assert.Equal(ErrorIds.ReplaceRolledBack, e.ErrorId);
        Assert.Contains($"failed at step '{action}'", e.Message, StringComparison.Ordinal);
        Assert.Contains($"injected at {action}", e.Message, StringComparison.Ordinal);
        Assert.Contains("every finished step was rolled back", e.Message, StringComparison.Ordinal);
        Assert.Same(original, _f.Incus.FindInstance("p", "a1"));
        Assert.Equal(InstanceStatus.Running, original.Status);
        Assert.Equal(["p/a1"], _f.InstanceNames());
        Assert.Empty(_f.Reporter.Warnings);
    }

    [Fact]
    public async Task InstanceReplace_TheOriginalLetsGoOfItsMacAddresses_BeforeTheRestoredCopyStarts()
    {
        // Incus refuses to start an instance on a managed network while another one holds its MAC address.
        var original = _f.Incus.AddInstance("p", "a1", InstanceStatus.Running);
        original.Config["volatile.eth0.hwaddr"] = "00:16:3e:aa:bb:cc";
        original.Config["volatile.eth0.host_name"] = "veth1";
        var plan = await PlanInstanceAsync(r => r with { Conflict = ConflictMode.Replace });
        string? heldAtStart = null;

        await _f.ExecuteAsync(plan, a =>
        {
            if (a == "start") heldAtStart = _f.Incus.FindInstance("p", "a1-ibold")!.Config["volatile.eth0.hwaddr"];
            return Task.CompletedTask;
        });

        Assert.Equal("", heldAtStart);
        Assert.Contains("update instance p/a1-ibold", _f.Incus.Calls);
    }

    [Fact]
    public async Task InstanceReplace_FailingToStart_GivesTheOriginalItsMacAddressesBack_AndTakesThemFromTheCopy()
    {
        var original = _f.Incus.AddInstance("p", "a1", InstanceStatus.Running);
        original.Config["volatile.eth0.hwaddr"] = "00:16:3e:aa:bb:cc";
        var plan = await PlanInstanceAsync(r => r with { Conflict = ConflictMode.Replace });
        string? copyAtUndo = null;
        _f.Incus.FailOn = call =>
        {
            // The copy, renamed back for deletion: by then it must not hold the original's address.
            if (call == "rename instance p/a1 a1-ibnew") copyAtUndo = _f.Incus.FindInstance("p", "a1")!.Config.GetValueOrDefault("volatile.eth0.hwaddr");
            return null;
        };
        var e = await Assert.ThrowsAsync<IncusBackupException>(() => _f.ExecuteAsync(plan, a =>
        {
            if (a == "start") _f.Incus.FindInstance("p", "a1")!.Config["volatile.eth0.hwaddr"] = "00:16:3e:aa:bb:cc";
            return FailAt("start")(a);
        }));

        Assert.Equal(ErrorIds.ReplaceRolledBack, e.ErrorId);
        Assert.Same(original, _f.Incus.FindInstance("p", "a1"));
        Assert.Equal("00:16:3e:aa:bb:cc", original.Config["volatile.eth0.hwaddr"]);
        Assert.Equal("", copyAtUndo);
        Assert.Equal(InstanceStatus.Running, original.Status);
    }

    [Fact]
    public async Task InstanceReplace_OfAStoppedTargetWithStart_FailingToStart_LeavesTheOriginalStopped()
    {
        var original = _f.Incus.AddInstance("p", "a1", InstanceStatus.Stopped);
        var plan = await PlanInstanceAsync(r => r with { Conflict = ConflictMode.Replace, Start = true });
        _f.Incus.FailOn = call => call == "start p/a1" ? IncusApiException.OperationFailed("Failed to start device \"eth0\"") : null;

        var e = await Assert.ThrowsAsync<IncusBackupException>(() => _f.ExecuteAsync(plan));

        Assert.Equal(ErrorIds.ReplaceRolledBack, e.ErrorId);
        Assert.Contains("failed at step 'start'", e.Message, StringComparison.Ordinal);
        Assert.Equal(
        [
            "import instance p/a1-ibnew",
            "wait /1.0/operations/op-1",
            "rename instance p/a1 a1-ibold",
            "rename instance p/a1-ibnew a1",
            "rename instance p/a1 a1-ibnew",
            "rename instance p/a1-ibold a1",
            "delete instance p/a1-ibnew",
        ], _f.Incus.Calls);
        Assert.Same(original, _f.Incus.FindInstance("p", "a1"));
        Assert.Equal(InstanceStatus.Stopped, original.Status);
        Assert.Equal(["p/a1"], _f.InstanceNames());
    }

    [Fact]
    public async Task InstanceReplace_RefusedByTheServerAtTheSwap_IsRolledBack()
    {
        var original = _f.Incus.AddInstance("p", "a1", InstanceStatus.Running);
        var plan = await PlanInstanceAsync(r => r with { Conflict = ConflictMode.Replace });
        _f.Incus.FailOn = call => call == "rename instance p/a1-ibnew a1" ? IncusApiException.OperationFailed("Name already in use") : null;

        var e = await Assert.ThrowsAsync<IncusBackupException>(() => _f.ExecuteAsync(plan));

        Assert.Equal(ErrorIds.ReplaceRolledBack, e.ErrorId);
        Assert.Contains("failed at step 'swap' (Name already in use)", e.Message, StringComparison.Ordinal);
        Assert.Equal(
        [
            "import instance p/a1-ibnew",
            "wait /1.0/operations/op-1",
            "stop p/a1",
            "rename instance p/a1 a1-ibold",
            "rename instance p/a1-ibold a1",
            "start p/a1",
            "delete instance p/a1-ibnew",
        ], _f.Incus.Calls);
        Assert.Same(original, _f.Incus.FindInstance("p", "a1"));
        Assert.Equal(InstanceStatus.Running, original.Status);
    }

    [Fact]
    public async Task InstanceReplace_WhoseUndoFails_SaysWhichUndoFailed()
    {
        _f.Incus.AddInstance("p", "a1", InstanceStatus.Running);
        var plan = await PlanInstanceAsync(r => r with { Conflict = ConflictMode.Replace });
        _f.Incus.FailOn = call => call == "rename instance p/a1-ibold a1" ? IncusApiException.OperationFailed("disk gone") : null;

        var e = await Assert.ThrowsAsync<IncusBackupException>(() => _f.ExecuteAsync(plan, FailAt("swap")));

        Assert.Equal(ErrorIds.ReplaceRolledBack, e.ErrorId);
        Assert.Contains("rolling back failed for: retire: disk gone", e.Message, StringComparison.Ordinal);
        Assert.Contains(_f.Reporter.Warnings, w => w.Contains("Could not roll back step 'retire'", StringComparison.Ordinal));
        // The older undos still ran: the temporary copy is deleted (starting p/a1 again fails too, as it is still set aside).
        Assert.Contains("delete instance p/a1-ibnew", _f.Incus.Calls);
        Assert.Equal(["p/a1-ibold"], _f.InstanceNames());
    }

    [Fact]
    public async Task InstanceReplace_CancelledMidway_IsRolledBackAndReportedAsStopped()
    {
        var original = _f.Incus.AddInstance("p", "a1", InstanceStatus.Running);
        var plan = await PlanInstanceAsync(r => r with { Conflict = ConflictMode.Replace });

        var e = await Assert.ThrowsAsync<IncusBackupException>(() => _f.ExecuteAsync(plan, FailAt("swap", new OperationCanceledException())));

        Assert.Equal(ErrorIds.Stopped, e.ErrorId);
        Assert.Same(original, _f.Incus.FindInstance("p", "a1"));
        Assert.Equal(InstanceStatus.Running, original.Status);
        Assert.Equal(["p/a1"], _f.InstanceNames());
    }

    [Fact]
    public async Task InstanceReplace_WhoseOriginalCannotBeDeleted_StillSucceeds_WithAWarning()
    {
        _f.Incus.AddInstance("p", "a1", InstanceStatus.Running);
        var plan = await PlanInstanceAsync(r => r with { Conflict = ConflictMode.Replace });
        _f.Incus.FailOn = call => call == "delete instance p/a1-ibold" ? new IncusApiException(500, "storage busy") : null;

        var result = await _f.ExecuteAsync(plan);

        Assert.Equal(RestoreAction.Replaced, result.Action);
        Assert.True(result.Started);
        var warning = Assert.Single(_f.Reporter.Warnings);
        Assert.Contains("could not be deleted", warning, StringComparison.Ordinal);
        Assert.Contains("p/a1-ibold", warning, StringComparison.Ordinal);
        Assert.Contains("storage busy", warning, StringComparison.Ordinal);
        Assert.Equal(["p/a1", "p/a1-ibold"], _f.InstanceNames());
        Assert.Equal(InstanceStatus.Running, _f.Incus.FindInstance("p", "a1")!.Status);
    }

    [Fact]
    public async Task VolumeReplace_StopsTheUsers_SwapsAndRepoints_ThenStartsThemAgain()
    {
        var (original, running, stopped) = VolumeWithUsers();
        var plan = await PlanVolumeAsync(r => r with { Conflict = ConflictMode.Replace });
        var actions = new List<string>();

        var result = await _f.ExecuteAsync(plan, a =>
        {
            actions.Add(a);
            return Task.CompletedTask;
        });

        Assert.Equal(
        [
            "import volume p/default/v1-ibnew",
            "wait /1.0/operations/op-1",
            "stop p/c1",
            "rename volume p/default/v1 v1-ibold",
            "rename volume p/default/v1-ibnew v1",
            "update instance p/c1",
            "update instance p/c2",
            "start p/c1",
            "delete volume p/default/v1-ibold",
        ], _f.Incus.Calls);
        Assert.Equal(["upload", "stop", "retire", "swap", "repoint", "start", "delete"], actions);
        Assert.Equal(RestoreAction.Replaced, result.Action);
        Assert.Equal(["p/c1"], result.RestartedInstances);
        Assert.False(result.Started);
        Assert.Equal(["p/default/v1"], _f.VolumeNames());
        Assert.NotSame(original, _f.Incus.FindVolume("p", "default", "v1"));
        Assert.Equal("v1", running.Devices["data"]["source"]);
        Assert.Equal("v1", stopped.Devices["disk"]["source"]);
        Assert.Equal(InstanceStatus.Running, running.Status);
        Assert.Equal(InstanceStatus.Stopped, stopped.Status);
        Assert.Equal(RestoreFixture.VolumeArchive, _f.Incus.Imported["v1-ibnew"]);
    }

    [Theory]
    [InlineData("upload")]
    [InlineData("stop")]
    [InlineData("retire")]
    [InlineData("swap")]
    [InlineData("repoint")]
    [InlineData("start")]
    public async Task VolumeReplace_FailingAtAnyAction_PutsTheOriginalBackUnderItsUsers(string action)
    {
        var (original, running, stopped) = VolumeWithUsers();
        var plan = await PlanVolumeAsync(r => r with { Conflict = ConflictMode.Replace });

        var e = await Assert.ThrowsAsync<IncusBackupException>(() => _f.ExecuteAsync(plan, FailAt(action)));

        Assert.Equal(ErrorIds.ReplaceRolledBack, e.ErrorId);
        Assert.Contains($"failed at step '{action}'", e.Message, StringComparison.Ordinal);
        Assert.Same(original, _f.Incus.FindVolume("p", "default", "v1"));
        Assert.Equal(["p/default/v1"], _f.VolumeNames());
        Assert.Equal("v1", running.Devices["data"]["source"]);
        Assert.Equal("v1", stopped.Devices["disk"]["source"]);
        Assert.Equal(InstanceStatus.Running, running.Status);
        Assert.Equal(InstanceStatus.Stopped, stopped.Status);
        Assert.Empty(_f.Reporter.Warnings);
    }

    [Theory]
    [InlineData("stop")]
    [InlineData("retire")]
    [InlineData("swap")]
    [InlineData("repoint")]
    [InlineData("start")]
    public async Task VolumeReplace_FailingAtAnyAction_IsRolledBack_WhenUsersAreFoundByTheirDevices(string action)
    {
        _f.Server = new DeviceScanningIncus(_f.Incus);
        var (original, running, stopped) = VolumeWithUsers();
        var plan = await PlanVolumeAsync(r => r with { Conflict = ConflictMode.Replace });

        var e = await Assert.ThrowsAsync<IncusBackupException>(() => _f.ExecuteAsync(plan, FailAt(action)));

        Assert.Equal(ErrorIds.ReplaceRolledBack, e.ErrorId);
        Assert.Same(original, _f.Incus.FindVolume("p", "default", "v1"));
        Assert.Equal(["p/default/v1"], _f.VolumeNames());
        Assert.Equal("v1", running.Devices["data"]["source"]);
        Assert.Equal("v1", stopped.Devices["disk"]["source"]);
        Assert.Equal(InstanceStatus.Running, running.Status);
    }

    [Fact]
    public async Task VolumeReplace_Succeeds_WhenUsersAreFoundByTheirDevices()
    {
        _f.Server = new DeviceScanningIncus(_f.Incus);
        var (original, running, stopped) = VolumeWithUsers();
        var plan = await PlanVolumeAsync(r => r with { Conflict = ConflictMode.Replace });

        var result = await _f.ExecuteAsync(plan);

        Assert.Equal(RestoreAction.Replaced, result.Action);
        Assert.Equal(["p/default/v1"], _f.VolumeNames());
        Assert.NotSame(original, _f.Incus.FindVolume("p", "default", "v1"));
        Assert.Equal("v1", running.Devices["data"]["source"]);
        Assert.Equal("v1", stopped.Devices["disk"]["source"]);
        Assert.Equal(InstanceStatus.Running, running.Status);
    }

    [Fact]
    public async Task VolumeReplace_WhoseRepointFailsForTheSecondUser_PutsTheFirstUserBackOnTheOriginal()
    {
        _f.Server = new DeviceScanningIncus(_f.Incus);
        var (original, running, stopped) = VolumeWithUsers();
        var plan = await PlanVolumeAsync(r => r with { Conflict = ConflictMode.Replace });
        _f.Incus.FailOn = call => call == "update instance p/c2" ? new IncusApiException(400, "device validation failed") : null;

        var e = await Assert.ThrowsAsync<IncusBackupException>(() => _f.ExecuteAsync(plan));

        Assert.Equal(ErrorIds.ReplaceRolledBack, e.ErrorId);
        Assert.Contains("failed at step 'repoint'", e.Message, StringComparison.Ordinal);
        Assert.Same(original, _f.Incus.FindVolume("p", "default", "v1"));
        Assert.Equal(["p/default/v1"], _f.VolumeNames());
        Assert.Equal("v1", stopped.Devices["disk"]["source"]);
        Assert.Equal("v1", running.Devices["data"]["source"]);
        Assert.Equal(InstanceStatus.Running, running.Status);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ArchiveCorruptedAfterPlanning_BreaksTheUploadOff_AndTheOriginalStays(bool mapped)
    {
        var original = _f.Incus.AddInstance("p", "a1", InstanceStatus.Running);
        var plan = await PlanInstanceAsync(r => r with
        {
            Conflict = ConflictMode.Replace,
            ProfileMap = mapped ? new Dictionary<string, string> { ["extra"] = "extra2" } : r.ProfileMap,
        });
        Assert.Equal(mapped, plan.NeedsRewrite);
        var backup = plan.Request.Backup;
        RestoreFixture.CorruptArchive(backup, offset: RestoreFixture.InstanceArchive.Length / 2);

        var e = await Assert.ThrowsAsync<IncusBackupException>(() => _f.ExecuteAsync(plan));

        Assert.True(e.ErrorId == ErrorIds.ChecksumMismatch, e.ToString());
        Assert.Contains("nothing was imported", e.RecommendedAction, StringComparison.Ordinal);
        Assert.Empty(_f.Incus.Calls); // the fake records an import only once it has the whole body
        Assert.Empty(_f.Incus.Imported);
        Assert.Same(original, _f.Incus.FindInstance("p", "a1"));
        Assert.Equal(InstanceStatus.Running, original.Status);
        Assert.Equal(["p/a1"], _f.Incus.InstanceList.Select(i => $"{i.Project}/{i.Name}"));
    }

    [Fact]
    public async Task AStopWhoseOperationTheServerForgot_CountsWhenTheInstanceStopped_AndItIsStartedAgain()
    {
        var (_, running, _) = VolumeWithUsers();
        var plan = await PlanVolumeAsync(r => r with { Conflict = ConflictMode.Replace });
        _f.Incus.ForgetOn = call => call == "stop p/c1";

        var result = await _f.ExecuteAsync(plan);

        Assert.Equal(RestoreAction.Replaced, result.Action);
        Assert.Equal(["p/c1"], result.RestartedInstances);
        Assert.Equal(InstanceStatus.Running, running.Status);
        Assert.Contains("start p/c1", _f.Incus.Calls);
    }

    [Fact]
    public async Task SkipPlan_ChangesNothingAndReadsNothing()
    {
        _f.Incus.AddInstance("p", "a1", InstanceStatus.Running);
        var plan = await PlanInstanceAsync(r => r with { Conflict = ConflictMode.SkipExisting });
        File.Delete(RestoreFixture.ArchivePath(plan.Request.Backup));

        var result = await _f.ExecuteAsync(plan);

        Assert.Equal(RestoreAction.Skipped, result.Action);
        Assert.Empty(_f.Incus.Calls);
        Assert.Empty(_f.Reporter.ProgressReports);
    }

    [Fact]
    public async Task ProfileMap_RewritesTheArchiveOnItsWay()
    {
        var plan = await PlanInstanceAsync(r => r with { ProfileMap = new Dictionary<string, string> { ["extra"] = "extra2" } });

        var result = await _f.ExecuteAsync(plan);

        Assert.NotEmpty(result.Mapped);
        Assert.Contains(result.Mapped, m => m.Contains("extra2", StringComparison.Ordinal));
        var imported = _f.Incus.Imported["a1"];
        Assert.NotEqual(RestoreFixture.InstanceArchive, imported);
        var index = await BackupIndex.ReadIndexAsync(new MemoryStream(imported), CancellationToken.None);
        Assert.Equal(["default", "extra2"], index.References.Profiles);
    }

    [Fact]
    public async Task PoolMap_SendsThePoolAndRewritesTheArchive()
    {
        var plan = await PlanInstanceAsync(r => r with { PoolMap = new Dictionary<string, string> { ["default"] = "fast" } });

        var result = await _f.ExecuteAsync(plan);

        Assert.Equal("import instance p/a1 pool=fast", _f.Incus.Calls.First());
        Assert.Equal("fast", result.TargetPool);
        Assert.Equal("fast", _f.Incus.FindInstance("p", "a1")!.RootPool);
        var index = await BackupIndex.ReadIndexAsync(new MemoryStream(_f.Incus.Imported["a1"]), CancellationToken.None);
        Assert.Equal(["fast"], index.References.Pools);
        Assert.Contains(result.Mapped, m => m.Contains("fast", StringComparison.Ordinal));
    }

    [Fact]
    public async Task FreshRestore_CancelledWhileTheServerImports_DeletesWhatTheImportCreated()
    {
        var plan = await PlanInstanceAsync();
        var interrupted = 0;
        _f.Incus.FailOn = call => call.StartsWith("wait /1.0/operations/", StringComparison.Ordinal) && Interlocked.Increment(ref interrupted) == 1
            ? new OperationCanceledException()
            : null;

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _f.ExecuteAsync(plan));

        Assert.Equal(["import instance p/a1", "wait /1.0/operations/op-1", "delete instance p/a1"], _f.Incus.Calls);
        Assert.Empty(_f.InstanceNames());
        Assert.Contains(_f.Reporter.VerboseLines, l => l.Contains("Removed p/a1", StringComparison.Ordinal));
    }

    [Fact]
    public async Task FreshVolumeRestore_CancelledWhileTheServerImports_DeletesWhatTheImportCreated()
    {
        var plan = await PlanVolumeAsync();
        var interrupted = 0;
        _f.Incus.FailOn = call => call.StartsWith("wait /1.0/operations/", StringComparison.Ordinal) && Interlocked.Increment(ref interrupted) == 1
            ? new OperationCanceledException()
            : null;

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _f.ExecuteAsync(plan));

        Assert.Contains("delete volume p/default/v1", _f.Incus.Calls);
        Assert.Empty(_f.VolumeNames());
    }

    [Fact]
    public async Task InstanceReplace_CancelledWhileTheServerImports_LeavesOnlyTheOriginal()
    {
        var original = _f.Incus.AddInstance("p", "a1", InstanceStatus.Running);
        var plan = await PlanInstanceAsync(r => r with { Conflict = ConflictMode.Replace });
        var interrupted = 0;
        _f.Incus.FailOn = call => call.StartsWith("wait /1.0/operations/", StringComparison.Ordinal) && Interlocked.Increment(ref interrupted) == 1
            ? new OperationCanceledException()
            : null;

        var e = await Assert.ThrowsAsync<IncusBackupException>(() => _f.ExecuteAsync(plan));

        Assert.Equal(ErrorIds.Stopped, e.ErrorId);
        Assert.Contains("delete instance p/a1-ibnew", _f.Incus.Calls);
        Assert.DoesNotContain(_f.Incus.Calls, c => c.StartsWith("stop", StringComparison.Ordinal));
        Assert.Same(original, _f.Incus.FindInstance("p", "a1"));
        Assert.Equal(InstanceStatus.Running, original.Status);
        Assert.Equal(["p/a1"], _f.InstanceNames());
    }

    [Fact]
    public async Task UploadRefusedByTheServer_IsARestoreFailed()
    {
        var plan = await PlanInstanceAsync();
        _f.Incus.FailOn = call => call == "import instance p/a1" ? new IncusApiException(400, "Invalid backup") : null;

        var e = await Assert.ThrowsAsync<IncusBackupException>(() => _f.ExecuteAsync(plan));

        Assert.Equal(ErrorIds.RestoreFailed, e.ErrorId);
        Assert.Contains("refused", e.Message, StringComparison.Ordinal);
        Assert.Contains("Invalid backup", e.Message, StringComparison.Ordinal);
        Assert.Empty(_f.InstanceNames());
    }

    [Fact]
    public async Task ImportFailingOnTheServer_IsARestoreFailed()
    {
        var plan = await PlanInstanceAsync();
        _f.Incus.AddInstance("p", "a1"); // appears after planning: the import then fails on the server

        var e = await Assert.ThrowsAsync<IncusBackupException>(() => _f.ExecuteAsync(plan));

        Assert.Equal(ErrorIds.RestoreFailed, e.ErrorId);
        Assert.Contains("failed on the server", e.Message, StringComparison.Ordinal);
        Assert.Contains("already exists", e.Message, StringComparison.Ordinal);
    }
}

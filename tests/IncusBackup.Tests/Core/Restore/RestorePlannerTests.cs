using System.Security.Cryptography;
using System.Text.Json;
using IncusBackup.Archive;
using IncusBackup.Errors;
using IncusBackup.Incus;
using IncusBackup.Repository;
using IncusBackup.Restore;
using IncusBackup.Tests.Core.Archive;
using Xunit;

namespace IncusBackup.Tests.Core.Restore;

/// <summary>
/// What the planner decides before anything changes: the steps (as -WhatIf shows them), the temporary names, the
/// mappings, and every reason to refuse (missing dependencies, wrong kind, bad name, a damaged backup). A plan
/// never touches the server.
/// </summary>
public sealed class RestorePlannerTests : IDisposable
{
    private const string V = RestoreFixture.Version;
    private readonly RestoreFixture _f = new();

    public void Dispose() => _f.Dispose();

    private static List<(string Action, string Target)> Steps(RestorePlan plan) => [.. plan.Steps.Select(s => (s.Action, s.Target))];

    /// <summary>A container export whose index.yaml says optimized, backend dir, pool default.</summary>
    private static readonly Lazy<byte[]> OptimizedArchive = new(() => TestArchives.Compress(TestArchives.Container(optimized: true), CompressionKind.Gzip));

    private async Task<IncusBackupException> PlanFailsAsync(RestoreRequest request, BackupKind kind = BackupKind.Instance) =>
        await Assert.ThrowsAsync<IncusBackupException>(() => _f.PlanAsync(request, kind));

    [Fact]
    public async Task FreshInstance_IsOneRestoreStep_AndChangesNothing()
    {
        var backup = await _f.PublishInstanceAsync();

        var plan = await _f.PlanAsync(RestoreFixture.Request(backup), BackupKind.Instance);

        Assert.Equal([("Restore instance", $"p/a1 from p/a1@{V}")], Steps(plan));
        Assert.False(plan.TargetExists);
        Assert.False(plan.IsReplace);
        Assert.False(plan.Skip);
        Assert.Null(plan.TemporaryName);
        Assert.Null(plan.RetiredName);
        Assert.Null(plan.TargetPool);
        Assert.False(plan.NeedsRewrite);
        Assert.Equal(V, backup.Version);
        Assert.Empty(_f.Incus.Calls);
    }

    [Fact]
    public async Task FreshInstance_WithStart_AddsAStartStep()
    {
        var backup = await _f.PublishInstanceAsync();

        var plan = await _f.PlanAsync(RestoreFixture.Request(backup) with { Start = true }, BackupKind.Instance);

        Assert.Equal([("Restore instance", $"p/a1 from p/a1@{V}"), ("Start instance", "p/a1")], Steps(plan));
        Assert.All(plan.Steps, s => Assert.False(s.IsCommit));
    }

    [Fact]
    public async Task FreshInstance_UnderANewName_TargetsTheNewName()
    {
        var backup = await _f.PublishInstanceAsync();

        var plan = await _f.PlanAsync(RestoreFixture.Request(backup) with { NewName = "b1" }, BackupKind.Instance);

        Assert.Equal([("Restore instance", $"p/b1 from p/a1@{V}")], Steps(plan));
        Assert.Equal("b1", plan.TargetName);
    }

    [Fact]
    public async Task AnInstanceCopy_UnderANewName_GetsMacAddressesOfItsOwn_ARestoreUnderItsNameKeepsThem()
    {
        var backup = await _f.PublishInstanceAsync();

        var copy = await _f.PlanAsync(RestoreFixture.Request(backup) with { NewName = "b1" }, BackupKind.Instance);
        var same = await _f.PlanAsync(RestoreFixture.Request(backup), BackupKind.Instance);

        Assert.True(copy.Mapping.NewMacAddresses);
        Assert.True(copy.NeedsRewrite);
        Assert.False(same.Mapping.NewMacAddresses);
        Assert.False(same.NeedsRewrite);
    }

    [Fact]
    public async Task ReplaceOfARunningInstance_UploadsAside_StopsSwapsStarts_ThenDeletesTheOriginal()
    {
        var backup = await _f.PublishInstanceAsync();
        _f.Incus.AddInstance("p", "a1", InstanceStatus.Running);

        var plan = await _f.PlanAsync(RestoreFixture.Request(backup) with { Conflict = ConflictMode.Replace }, BackupKind.Instance);

        Assert.Equal(
        [
            ("Upload backup as temporary instance", $"p/a1-ibnew from p/a1@{V}"),
            ("Stop instance", "p/a1"),
            ("Swap restored instance in", "p/a1 (original kept as a1-ibold until the swap succeeds)"),
            ("Start instance", "p/a1"),
            ("Delete original instance", "p/a1-ibold"),
        ], Steps(plan));
        Assert.Equal([false, false, false, false, true], plan.Steps.Select(s => s.IsCommit));
        Assert.True(plan.IsReplace);
        Assert.True(plan.TargetRunning);
        Assert.Equal(["p/a1"], plan.AffectedInstances);
        Assert.Equal("a1-ibnew", plan.TemporaryName);
        Assert.Equal("a1-ibold", plan.RetiredName);
        Assert.Empty(_f.Incus.Calls);
    }

    [Fact]
    public async Task ConfirmedAsk_OnAnExistingTarget_PlansAReplace()
    {
        var backup = await _f.PublishInstanceAsync();
        _f.Incus.AddInstance("p", "a1");

        var plan = await _f.PlanAsync(RestoreFixture.Request(backup), BackupKind.Instance);

        Assert.Equal(ConflictMode.Ask, plan.Request.Conflict);
        Assert.True(plan.IsReplace);
        Assert.Equal("Upload backup as temporary instance", plan.Steps[0].Action);
    }

    [Fact]
    public async Task ReplaceOfAStoppedInstance_WithStart_HasNoStopStepButAStartStep()
    {
        var backup = await _f.PublishInstanceAsync();
        _f.Incus.AddInstance("p", "a1", InstanceStatus.Stopped);

        var plan = await _f.PlanAsync(RestoreFixture.Request(backup) with { Conflict = ConflictMode.Replace, Start = true }, BackupKind.Instance);

        Assert.Equal(
        [
            ("Upload backup as temporary instance", $"p/a1-ibnew from p/a1@{V}"),
            ("Swap restored instance in", "p/a1 (original kept as a1-ibold until the swap succeeds)"),
            ("Start instance", "p/a1"),
            ("Delete original instance", "p/a1-ibold"),
        ], Steps(plan));
        Assert.False(plan.TargetRunning);
        Assert.Empty(plan.AffectedInstances);
    }

    [Fact]
    public async Task ReplaceOfAStoppedInstance_WithoutStart_NeitherStopsNorStarts()
    {
        var backup = await _f.PublishInstanceAsync();
        _f.Incus.AddInstance("p", "a1", InstanceStatus.Stopped);

        var plan = await _f.PlanAsync(RestoreFixture.Request(backup) with { Conflict = ConflictMode.Replace }, BackupKind.Instance);

        Assert.Equal(["Upload backup as temporary instance", "Swap restored instance in", "Delete original instance"], plan.Steps.Select(s => s.Action));
    }

    [Fact]
    public async Task TakenTemporaryNames_AreSkipped()
    {
        var backup = await _f.PublishInstanceAsync();
        _f.Incus.AddInstance("p", "a1");
        _f.Incus.AddInstance("p", "a1-ibnew");
        _f.Incus.AddInstance("p", "a1-ibold");
        _f.Incus.AddInstance("p", "a1-ibold2");
        _f.Incus.AddInstance("other", "a1-ibnew2"); // another project does not count

        var plan = await _f.PlanAsync(RestoreFixture.Request(backup) with { Conflict = ConflictMode.Replace }, BackupKind.Instance);

        Assert.Equal("a1-ibnew2", plan.TemporaryName);
        Assert.Equal("a1-ibold3", plan.RetiredName);
        Assert.Equal($"p/a1-ibnew2 from p/a1@{V}", plan.Steps[0].Target);
        Assert.Equal("p/a1-ibold3", plan.Steps[^1].Target);
    }

    [Fact]
    public async Task ALongName_IsTruncatedSoTheTemporaryNamesStayWithin63Characters()
    {
        var name = "n" + new string('x', 61) + "z";
        Assert.Equal(63, name.Length);
        var backup = await _f.PublishInstanceAsync();
        _f.Incus.AddInstance("p", name);
        _f.Incus.AddInstance("p", name[..57] + "-ibnew");

        var plan = await _f.PlanAsync(RestoreFixture.Request(backup) with { NewName = name, Conflict = ConflictMode.Replace }, BackupKind.Instance);

        Assert.Equal(name[..56] + "-ibnew2", plan.TemporaryName);
        Assert.Equal(name[..57] + "-ibold", plan.RetiredName);
        Assert.Equal(63, plan.TemporaryName!.Length);
        Assert.Equal(63, plan.RetiredName!.Length);
        Assert.True(ResourceName.IsValidInstanceName(plan.TemporaryName));
        Assert.True(ResourceName.IsValidInstanceName(plan.RetiredName));
    }

    [Fact]
    public async Task SkipExisting_OnAnExistingTarget_PlansOneSkipStep()
    {
        var backup = await _f.PublishInstanceAsync();
        _f.Incus.AddInstance("p", "a1", InstanceStatus.Running);

        var plan = await _f.PlanAsync(RestoreFixture.Request(backup) with { Conflict = ConflictMode.SkipExisting, Start = true }, BackupKind.Instance);

        Assert.Equal([("Skip existing instance", "p/a1")], Steps(plan));
        Assert.True(plan.Skip);
        Assert.False(plan.IsReplace);
        Assert.Null(plan.TemporaryName);
        Assert.Null(plan.RetiredName);
    }

    [Fact]
    public async Task SkipExisting_OnAFreeTarget_PlansARestore()
    {
        var backup = await _f.PublishInstanceAsync();

        var plan = await _f.PlanAsync(RestoreFixture.Request(backup) with { Conflict = ConflictMode.SkipExisting }, BackupKind.Instance);

        Assert.False(plan.Skip);
        Assert.Equal([("Restore instance", $"p/a1 from p/a1@{V}")], Steps(plan));
    }

    [Fact]
    public async Task FreshVolume_IsOneRestoreStep_InTheRecordedPool_AndHasNoStart()
    {
        var backup = await _f.PublishVolumeAsync();

        var plan = await _f.PlanAsync(RestoreFixture.Request(backup) with { Start = true }, BackupKind.Volume);

        Assert.Equal([("Restore volume", $"p/default/v1 from p/v1@{V}")], Steps(plan));
        Assert.Equal("default", plan.TargetPool);
    }

    [Fact]
    public async Task VolumeReplace_WithARunningUser_StopsAndStartsTheUserAroundTheSwap()
    {
        var backup = await _f.PublishVolumeAsync();
        var volume = _f.Incus.AddVolume("p", "default", "v1");
        var user = _f.Incus.AddInstance("p", "c1", InstanceStatus.Running);
        _f.Incus.Attach(user, "default", volume);
        var idle = _f.Incus.AddInstance("p", "c2", InstanceStatus.Stopped);
        _f.Incus.Attach(idle, "default", volume);

        var plan = await _f.PlanAsync(RestoreFixture.Request(backup) with { Conflict = ConflictMode.Replace }, BackupKind.Volume);

        Assert.Equal(
        [
            ("Upload backup as temporary volume", $"p/default/v1-ibnew from p/v1@{V}"),
            ("Stop instance", "p/c1"),
            ("Swap restored volume in", "p/default/v1 (original kept as v1-ibold until the swap succeeds)"),
            ("Start instance", "p/c1"),
            ("Delete original volume", "p/default/v1-ibold"),
        ], Steps(plan));
        Assert.Equal([false, false, false, false, true], plan.Steps.Select(s => s.IsCommit));
        Assert.Equal(["p/c1"], plan.AffectedInstances);
        Assert.Empty(_f.Incus.Calls);
    }

    [Fact]
    public async Task VolumeAttachedThroughAProfile_CannotBeReplaced_AndNothingChanges()
    {
        var backup = await _f.PublishVolumeAsync();
        _f.Incus.AddVolume("p", "default", "v1", "/1.0/profiles/pv?project=p");

        var e = await PlanFailsAsync(RestoreFixture.Request(backup) with { Conflict = ConflictMode.Replace }, BackupKind.Volume);

        Assert.Equal(ErrorIds.ReplaceNotSupported, e.ErrorId);
        Assert.Contains("pv", e.Message, StringComparison.Ordinal);
        Assert.Contains("Nothing was changed", e.Message, StringComparison.Ordinal);
        Assert.Empty(_f.Incus.Calls);
        Assert.Equal(["p/default/v1"], _f.VolumeNames());
    }

    [Fact]
    public async Task VolumeAttachedThroughAProfile_WithSkipExisting_IsSkipped()
    {
        var backup = await _f.PublishVolumeAsync();
        _f.Incus.AddVolume("p", "default", "v1", "/1.0/profiles/pv?project=p");

        var plan = await _f.PlanAsync(RestoreFixture.Request(backup) with { Conflict = ConflictMode.SkipExisting }, BackupKind.Volume);

        Assert.True(plan.Skip);
        Assert.Equal([("Skip existing volume", "p/default/v1")], Steps(plan));
    }

    [Fact]
    public async Task AnOptimizedBackup_OntoAPoolOfAnotherDriver_IsRefusedUpFront()
    {
        var backup = await _f.PublishInstanceAsync(archive: OptimizedArchive.Value);
        _f.Incus.PoolDrivers["default"] = "btrfs";

        var e = await PlanFailsAsync(RestoreFixture.Request(backup) with { NewName = "a2" });

        Assert.Equal(ErrorIds.OptimizedDriverMismatch, e.ErrorId);
        Assert.Contains("optimized backup of a dir pool: it restores only onto a dir pool, and 'default' is btrfs", e.Message, StringComparison.Ordinal);
        Assert.Contains("-PoolMap", e.RecommendedAction, StringComparison.Ordinal);
        Assert.Empty(_f.Incus.Calls);
    }

    [Fact]
    public async Task AnOptimizedBackup_OntoAPoolOfItsDriver_IsPlanned()
    {
        var backup = await _f.PublishInstanceAsync(archive: OptimizedArchive.Value);
        _f.Incus.PoolDrivers["default"] = "btrfs";

        var plan = await _f.PlanAsync(RestoreFixture.Request(backup) with { PoolMap = new Dictionary<string, string> { ["default"] = "fast" } }, BackupKind.Instance);

        Assert.Equal("fast", plan.Target.Pool); // fast is a dir pool, as the backup's was
    }

    [Fact]
    public async Task AnOptimizedBackup_WithAProfileMap_IsRefusedUpFront()
    {
        var backup = await _f.PublishInstanceAsync(archive: OptimizedArchive.Value);

        var e = await PlanFailsAsync(RestoreFixture.Request(backup) with { ProfileMap = new Dictionary<string, string> { ["extra"] = "extra2" } });

        Assert.Equal(ErrorIds.OptimizedMappingUnsupported, e.ErrorId);
        Assert.Empty(_f.Incus.Calls);
    }

    [Fact]
    public async Task AnOptimizedBackup_BesideItsOriginal_IsNotRewritten_ButItsMacAddressesAreReleased()
    {
        var backup = await _f.PublishInstanceAsync(archive: OptimizedArchive.Value);

        var plan = await _f.PlanAsync(RestoreFixture.Request(backup) with { NewName = "a2" }, BackupKind.Instance);

        Assert.False(plan.NeedsRewrite);
        Assert.True(plan.ReleaseHardwareAddresses);
    }

    [Fact]
    public async Task MissingProject_IsADependencyMissing_NamingIt()
    {
        var backup = await _f.PublishInstanceAsync();
        _f.Incus.ProjectNames.Remove("p");

        var e = await PlanFailsAsync(RestoreFixture.Request(backup));

        Assert.Equal(ErrorIds.DependencyMissing, e.ErrorId);
        Assert.Contains("project 'p'", e.Message, StringComparison.Ordinal);
        Assert.Empty(_f.Incus.Calls);
    }

    [Fact]
    public async Task MappedProjectThatDoesNotExist_IsADependencyMissing()
    {
        var backup = await _f.PublishInstanceAsync();

        var e = await PlanFailsAsync(RestoreFixture.Request(backup) with { ProjectMap = new Dictionary<string, string> { ["p"] = "q" } });

        Assert.Equal(ErrorIds.DependencyMissing, e.ErrorId);
        Assert.Contains("project 'q'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MappedPoolThatDoesNotExist_IsADependencyMissing()
    {
        var backup = await _f.PublishInstanceAsync();

        var e = await PlanFailsAsync(RestoreFixture.Request(backup) with { PoolMap = new Dictionary<string, string> { ["default"] = "nopool" } });

        Assert.Equal(ErrorIds.DependencyMissing, e.ErrorId);
        Assert.Contains("storage pool 'nopool'", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("'fast'", e.Message, StringComparison.Ordinal);
        Assert.Empty(_f.Incus.Calls);
    }

    [Fact]
    public async Task SecondPoolTheArchiveReferences_MustExist()
    {
        var backup = await _f.PublishInstanceAsync();
        _f.Incus.PoolNames.Remove("fast");

        var e = await PlanFailsAsync(RestoreFixture.Request(backup));

        Assert.Equal(ErrorIds.DependencyMissing, e.ErrorId);
        Assert.Contains("storage pool 'fast'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task VolumeIntoAMappedPoolThatDoesNotExist_IsADependencyMissing()
    {
        var backup = await _f.PublishVolumeAsync();

        var e = await PlanFailsAsync(RestoreFixture.Request(backup) with { PoolMap = new Dictionary<string, string> { ["default"] = "nopool" } }, BackupKind.Volume);

        Assert.Equal(ErrorIds.DependencyMissing, e.ErrorId);
        Assert.Contains("storage pool 'nopool'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MissingNetwork_IsADependencyMissing_NamingIt()
    {
        var backup = await _f.PublishInstanceAsync();
        _f.Incus.MissingNetworks.Add("p/incusbr0");

        var e = await PlanFailsAsync(RestoreFixture.Request(backup));

        Assert.Equal(ErrorIds.DependencyMissing, e.ErrorId);
        Assert.Contains("network 'incusbr0'", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("network 'eth0'", e.Message, StringComparison.Ordinal);
        Assert.Empty(_f.Incus.Calls);
    }

    [Fact]
    public async Task MissingNicParent_IsADependencyMissing()
    {
        var backup = await _f.PublishInstanceAsync();
        _f.Incus.MissingNetworks.Add("p/eth0");

        var e = await PlanFailsAsync(RestoreFixture.Request(backup));

        Assert.Equal(ErrorIds.DependencyMissing, e.ErrorId);
        Assert.Contains("network 'eth0'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MissingNetwork_MappedToOneThatExists_IsFine()
    {
        var backup = await _f.PublishInstanceAsync();
        _f.Incus.MissingNetworks.Add("p/incusbr0");

        var plan = await _f.PlanAsync(RestoreFixture.Request(backup) with { NetworkMap = new Dictionary<string, string> { ["incusbr0"] = "br1" } },
            BackupKind.Instance);

        Assert.True(plan.NeedsRewrite);
        Assert.Equal("br1", plan.Mapping.Resolve(ReferenceKind.Network, "incusbr0"));
    }

    [Fact]
    public async Task MissingProfile_IsADependencyMissing_NamingItAndTheProject()
    {
        var backup = await _f.PublishInstanceAsync();
        _f.Incus.MissingProfiles.Add("p/extra");

        var e = await PlanFailsAsync(RestoreFixture.Request(backup));

        Assert.Equal(ErrorIds.DependencyMissing, e.ErrorId);
        Assert.Contains("profile 'extra' in project 'p'", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("profile 'default'", e.Message, StringComparison.Ordinal);
        Assert.Empty(_f.Incus.Calls);
    }

    [Fact]
    public async Task MissingAttachedCustomVolume_IsADependencyMissing()
    {
        var source = JsonDocument.Parse("""
            {"name": "a1", "devices": {
              "data": {"type": "disk", "pool": "default", "source": "vol9", "path": "/data"},
              "host": {"type": "disk", "source": "/srv/host", "path": "/host"},
              "root": {"type": "disk", "pool": "default", "path": "/"}
            }}
            """).RootElement.Clone();
        var backup = await _f.PublishInstanceAsync(source: source);

        var e = await PlanFailsAsync(RestoreFixture.Request(backup));

        Assert.Equal(ErrorIds.DependencyMissing, e.ErrorId);
        Assert.Contains("custom volume 'default/vol9' in project 'p'", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("/srv/host", e.Message, StringComparison.Ordinal);
        Assert.Empty(_f.Incus.Calls);

        _f.Incus.AddVolume("p", "default", "vol9");
        var plan = await _f.PlanAsync(RestoreFixture.Request(backup), BackupKind.Instance);
        Assert.Equal("Restore instance", Assert.Single(plan.Steps).Action);
    }

    [Fact]
    public async Task EveryMissingDependency_IsNamedInOneError()
    {
        var backup = await _f.PublishInstanceAsync();
        _f.Incus.PoolNames.Remove("fast");
        _f.Incus.MissingNetworks.Add("p/incusbr0");
        _f.Incus.MissingProfiles.Add("p/default");

        var e = await PlanFailsAsync(RestoreFixture.Request(backup));

        Assert.Equal(ErrorIds.DependencyMissing, e.ErrorId);
        Assert.Contains("storage pool 'fast'", e.Message, StringComparison.Ordinal);
        Assert.Contains("network 'incusbr0'", e.Message, StringComparison.Ordinal);
        Assert.Contains("profile 'default' in project 'p'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PoolMap_SetsTheInstanceTargetPool_AndNeedsARewrite()
    {
        var backup = await _f.PublishInstanceAsync();

        var plan = await _f.PlanAsync(RestoreFixture.Request(backup) with { PoolMap = new Dictionary<string, string> { ["default"] = "fast" } },
            BackupKind.Instance);

        Assert.Equal("fast", plan.TargetPool);
        Assert.Equal("fast", plan.Mapping.TargetPool);
        Assert.True(plan.NeedsRewrite);
    }

    [Fact]
    public async Task PoolMap_OfAVolume_SetsItsPool_AndMovesTheTemporaryNamesThere()
    {
        var backup = await _f.PublishVolumeAsync();
        _f.Incus.AddVolume("p", "fast", "v1");

        var plan = await _f.PlanAsync(RestoreFixture.Request(backup) with { PoolMap = new Dictionary<string, string> { ["default"] = "fast" } },
            BackupKind.Volume);

        Assert.Equal("fast", plan.TargetPool);
        Assert.Null(plan.Mapping.TargetPool);
        Assert.Equal($"p/fast/v1-ibnew from p/v1@{V}", plan.Steps[0].Target);
        Assert.Equal("p/fast/v1-ibold", plan.Steps[^1].Target);
    }

    [Fact]
    public async Task IdentityMaps_NeedNoRewrite()
    {
        var backup = await _f.PublishInstanceAsync();

        var plan = await _f.PlanAsync(RestoreFixture.Request(backup) with
        {
            PoolMap = new Dictionary<string, string> { ["default"] = "default" },
            NetworkMap = new Dictionary<string, string> { ["incusbr0"] = "incusbr0" },
            ProfileMap = new Dictionary<string, string> { ["extra"] = "extra" },
            ProjectMap = new Dictionary<string, string> { ["p"] = "p" },
        }, BackupKind.Instance);

        Assert.False(plan.NeedsRewrite);
        Assert.Equal("p", plan.TargetProject);
        Assert.Equal("default", plan.TargetPool);
    }

    [Fact]
    public async Task ProjectMap_MovesTheTarget()
    {
        var backup = await _f.PublishInstanceAsync();
        _f.Incus.ProjectNames.Add("q");

        var plan = await _f.PlanAsync(RestoreFixture.Request(backup) with { ProjectMap = new Dictionary<string, string> { ["p"] = "q" } },
            BackupKind.Instance);

        Assert.Equal("q", plan.TargetProject);
        Assert.True(plan.NeedsRewrite);
        Assert.Equal([("Restore instance", $"q/a1 from p/a1@{V}")], Steps(plan));
    }

    [Fact]
    public async Task VolumeBackup_PlannedAsAnInstance_IsAKindMismatch()
    {
        var backup = await _f.PublishVolumeAsync();

        var e = await PlanFailsAsync(RestoreFixture.Request(backup));

        Assert.Equal(ErrorIds.BackupKindMismatch, e.ErrorId);
        Assert.Contains("Restore-IncusVolume", e.RecommendedAction, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InstanceBackup_PlannedAsAVolume_IsAKindMismatch()
    {
        var backup = await _f.PublishInstanceAsync();

        var e = await PlanFailsAsync(RestoreFixture.Request(backup), BackupKind.Volume);

        Assert.Equal(ErrorIds.BackupKindMismatch, e.ErrorId);
        Assert.Contains("Restore-IncusInstance", e.RecommendedAction, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ManifestSayingInstance_OverAVolumeArchive_IsAKindMismatch()
    {
        var backup = await _f.PublishInstanceAsync(archive: RestoreFixture.VolumeArchive);

        var e = await PlanFailsAsync(RestoreFixture.Request(backup));

        Assert.Equal(ErrorIds.BackupKindMismatch, e.ErrorId);
        Assert.Contains("custom", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ManifestSayingVolume_OverAnInstanceArchive_IsAKindMismatch()
    {
        var backup = await _f.PublishVolumeAsync(archive: RestoreFixture.InstanceArchive);

        var e = await PlanFailsAsync(RestoreFixture.Request(backup), BackupKind.Volume);

        Assert.Equal(ErrorIds.BackupKindMismatch, e.ErrorId);
    }

    [Theory]
    [InlineData("bad-")]
    [InlineData("-bad")]
    [InlineData("123")]
    [InlineData("a_b")]
    public async Task InvalidInstanceName_IsRefused(string name)
    {
        var backup = await _f.PublishInstanceAsync();

        var e = await PlanFailsAsync(RestoreFixture.Request(backup) with { NewName = name });

        Assert.Equal(ErrorIds.InvalidName, e.ErrorId);
        Assert.Contains($"'{name}'", e.Message, StringComparison.Ordinal);
        Assert.Empty(_f.Incus.Calls);
    }

    [Fact]
    public async Task VolumeName_ThatWouldEscapeTheRepository_IsRefused()
    {
        var backup = await _f.PublishVolumeAsync();

        var e = await PlanFailsAsync(RestoreFixture.Request(backup) with { NewName = "../x" }, BackupKind.Volume);

        Assert.Equal(ErrorIds.InvalidName, e.ErrorId);
    }

    [Fact]
    public async Task TamperedManifest_IsAChecksumMismatch()
    {
        var backup = await _f.PublishInstanceAsync();
        var path = Path.Combine(backup.Location, BackupSeal.ManifestFile);
        File.WriteAllText(path, File.ReadAllText(path).Replace("\"a1\"", "\"b1\"", StringComparison.Ordinal));

        var e = await PlanFailsAsync(RestoreFixture.Request(backup));

        Assert.Equal(ErrorIds.ChecksumMismatch, e.ErrorId);
        Assert.Contains("manifest.json", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MalformedChecksumsLine_IsAChecksumMismatch()
    {
        var backup = await _f.PublishInstanceAsync();
        File.AppendAllText(Path.Combine(backup.Location, BackupSeal.ChecksumsFile), "not-a-checksum  extra.bin\n");

        var e = await PlanFailsAsync(RestoreFixture.Request(backup));

        Assert.Equal(ErrorIds.ChecksumMismatch, e.ErrorId);
        Assert.Contains("malformed line", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ChecksumsDisagreeingWithTheManifest_IsAChecksumMismatch()
    {
        var backup = await _f.PublishInstanceAsync();
        var path = Path.Combine(backup.Location, BackupSeal.ChecksumsFile);
        File.WriteAllText(path, File.ReadAllText(path).Replace(backup.Sha256, new string('0', 64), StringComparison.Ordinal));

        var e = await PlanFailsAsync(RestoreFixture.Request(backup));

        Assert.Equal(ErrorIds.ChecksumMismatch, e.ErrorId);
        Assert.Contains("disagree", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TamperedManifest_WhoseChecksumLineWasRemoved_IsAChecksumMismatch()
    {
        var backup = await _f.PublishInstanceAsync();
        var manifestPath = Path.Combine(backup.Location, BackupSeal.ManifestFile);
        var checksumsPath = Path.Combine(backup.Location, BackupSeal.ChecksumsFile);
        File.WriteAllText(manifestPath, File.ReadAllText(manifestPath).Replace("\"a1\"", "\"b1\"", StringComparison.Ordinal));
        File.WriteAllLines(checksumsPath, File.ReadAllLines(checksumsPath).Where(l => !l.EndsWith(" manifest.json", StringComparison.Ordinal)));

        var e = await PlanFailsAsync(RestoreFixture.Request(backup));

        Assert.Equal(ErrorIds.ChecksumMismatch, e.ErrorId);
        Assert.Contains("manifest.json", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DeletedArchive_IsABackupFileMissing()
    {
        var backup = await _f.PublishInstanceAsync();
        File.Delete(RestoreFixture.ArchivePath(backup));

        var e = await PlanFailsAsync(RestoreFixture.Request(backup));

        Assert.Equal(ErrorIds.BackupFileMissing, e.ErrorId);
        Assert.Contains("backup.tar.gz", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DeletedChecksums_IsABackupFileMissing()
    {
        var backup = await _f.PublishInstanceAsync();
        File.Delete(Path.Combine(backup.Location, BackupSeal.ChecksumsFile));

        var e = await PlanFailsAsync(RestoreFixture.Request(backup));

        Assert.Equal(ErrorIds.BackupFileMissing, e.ErrorId);
    }

    [Fact]
    public async Task ArchiveOfRandomBytes_WithAMatchingSeal_IsAnInvalidArchive()
    {
        var backup = await _f.PublishInstanceAsync();
        RestoreFixture.ReplaceArchiveAndReseal(backup, RandomNumberGenerator.GetBytes(100_000));

        var e = await PlanFailsAsync(RestoreFixture.Request(backup));

        Assert.Equal(ErrorIds.ArchiveInvalid, e.ErrorId);
        Assert.Empty(_f.Incus.Calls);
    }

    [Fact]
    public async Task TarWithoutAnIndex_WithAMatchingSeal_IsAnInvalidArchive()
    {
        var backup = await _f.PublishInstanceAsync();
        var tar = TestArchives.PlainTar(("backup/container/backup.yaml", "name: a1\n"));
        RestoreFixture.ReplaceArchiveAndReseal(backup, tar);

        var e = await PlanFailsAsync(RestoreFixture.Request(backup));

        Assert.Equal(ErrorIds.ArchiveInvalid, e.ErrorId);
    }

    /// <summary>A gzip container export whose index.yaml names <paramref name="name"/> with <paramref name="snapshots"/>.</summary>
    private static byte[] ArchiveOf(string name, params string[] snapshots) =>
        TestArchives.Compress(TestArchives.PlainTar(
            ("backup/index.yaml", $"name: {name}\nbackend: dir\npool: default\nsnapshots:\n{string.Concat(snapshots.Select(s => $"- {s}\n"))}optimized: false\noptimized_header: false\ntype: container\n"),
            ("backup/container/metadata.yaml", "architecture: x86_64\n")), CompressionKind.Gzip);

    [Fact]
    public async Task ArchiveOfAnotherInstance_WithManifestAndChecksumsFixedUp_IsArchiveMismatch_BeforeAnyCall()
    {
        var backup = await _f.PublishInstanceAsync();
        RestoreFixture.ReplaceArchiveAndReseal(backup, ArchiveOf("b2", "s1"));

        var e = await PlanFailsAsync(RestoreFixture.Request(backup));

        Assert.Equal(ErrorIds.ArchiveMismatch, e.ErrorId);
        Assert.Contains("the archive holds 'b2', the manifest names 'a1'", e.Message, StringComparison.Ordinal);
        Assert.Empty(_f.Incus.Calls);
        Assert.Empty(_f.InstanceNames());
    }

    [Fact]
    public async Task ArchiveWithOtherSnapshots_IsArchiveMismatch()
    {
        var backup = await _f.PublishInstanceAsync();
        RestoreFixture.ReplaceArchiveAndReseal(backup, ArchiveOf("a1", "s1", "s2"));

        var e = await PlanFailsAsync(RestoreFixture.Request(backup));

        Assert.Equal(ErrorIds.ArchiveMismatch, e.ErrorId);
        Assert.Contains("snapshot 's2'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ArchiveOfAnotherInstance_WithoutTheSealFixedUp_IsAChecksumMismatch()
    {
        var backup = await _f.PublishInstanceAsync();
        File.WriteAllBytes(RestoreFixture.ArchivePath(backup), ArchiveOf("b2", "s1"));

        var e = await PlanFailsAsync(RestoreFixture.Request(backup));

        Assert.Equal(ErrorIds.ChecksumMismatch, e.ErrorId);
        Assert.Empty(_f.Incus.Calls);
    }

    [Fact]
    public async Task ArchiveCorruptedAtItsStart_IsAChecksumMismatch()
    {
        var backup = await _f.PublishInstanceAsync();
        RestoreFixture.CorruptArchive(backup, offset: 0);

        var e = await PlanFailsAsync(RestoreFixture.Request(backup));

        Assert.Equal(ErrorIds.ChecksumMismatch, e.ErrorId);
        Assert.Contains("backup.tar.gz", e.Message, StringComparison.Ordinal);
        Assert.Empty(_f.Incus.Calls);
    }

    [Fact]
    public async Task ManifestListingNoArchive_IsAnInvalidManifest()
    {
        var backup = await _f.PublishInstanceAsync();
        var manifestPath = Path.Combine(backup.Location, BackupSeal.ManifestFile);
        var manifest = BackupSeal.ParseManifest(File.ReadAllBytes(manifestPath), "test");
        manifest.Files.Clear();
        var seal = BackupSeal.Create(manifest);
        File.WriteAllBytes(manifestPath, seal.ManifestBytes);
        File.WriteAllBytes(Path.Combine(backup.Location, BackupSeal.ChecksumsFile), seal.ChecksumsBytes);

        var e = await PlanFailsAsync(RestoreFixture.Request(backup));

        Assert.Equal(ErrorIds.ManifestInvalid, e.ErrorId);
    }

    [Fact]
    public async Task Describe_NamesTheBackupAndTheTarget()
    {
        var backup = await _f.PublishInstanceAsync();

        var plan = await _f.PlanAsync(RestoreFixture.Request(backup) with { NewName = "b1" }, BackupKind.Instance);

        Assert.Equal($"p/a1@{V} -> p/b1", plan.Describe);
        Assert.Equal($"Restore instance: p/b1 from p/a1@{V}", plan.Steps[0].ToString());
    }
}

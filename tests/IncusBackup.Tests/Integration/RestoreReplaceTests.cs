using System.Management.Automation;
using IncusBackup.Configuration;
using IncusBackup.Incus;
using IncusBackup.Repository;
using IncusBackup.Restore;
using IncusBackup.Tests.Fakes;
using IncusBackup.Tests.Infrastructure;
using Xunit;

namespace IncusBackup.Tests.Integration;

/// <summary>Replacing a running instance and an attached volume, and rolling back a replace that fails half-way.</summary>
public sealed class RestoreReplaceTests(RestoreScenario scenario) : IClassFixture<RestoreScenario>
{
    private IncusProjectFixture Incus => scenario.Incus;

    private PowerShellResult Run(PowerShellSession ps, string script) =>
        ps.Invoke(script, new Dictionary<string, object?> { ["P"] = scenario.Project, ["T"] = scenario.Target });

    private static T Prop<T>(PSObject o, string name) => PowerShellSession.Prop<T>(o, name)!;

    [IncusFact]
    public void DeletedOriginals_ComeBackByteForByte_RootfsSnapshotAndVolume()
    {
        Incus.Incus("delete", "-f", "c1");
        Incus.Incus("storage", "volume", "delete", "default", "v1");
        Assert.DoesNotContain("c1", Incus.ListInstances());
        using var ps = PowerShellSession.Create(nonInteractive: true);

        var result = Run(ps, """
            Restore-IncusVolume -Name default/v1 -Project $P -Target $T
            Get-IncusBackup -Target $T -Kind Instance -Name c1 -Project $P | Where-Object { -not $_.InstanceOnly } | Restore-IncusInstance -Start
            """);

        result.AssertNoErrors();
        Assert.Equal(["Restored", "Restored"], result.Output.Select(o => Prop<object>(o, "Action").ToString()));
        Assert.Contains(result.Progress, p => p.StatusDescription.StartsWith("Uploading", StringComparison.Ordinal));
        Assert.Equal("Running", Incus.InstanceState("c1"));
        Assert.Equal(scenario.RootFile, Incus.ReadFile("c1", "/root/known.bin"));
        Assert.Equal(scenario.VolumeFile, Incus.ReadFile("c1", "/data/vol.bin"));
        Assert.Equal(["snap1"], Incus.ListSnapshots("c1"));
        Incus.Incus("copy", "c1/snap1", "c1-snapcheck");
        Assert.Equal(scenario.SnapshotFile, Incus.ReadFile("c1-snapcheck", "/root/known.bin"));
        Incus.Incus("delete", "-f", "c1-snapcheck");
    }

    [IncusFact]
    public void ReplaceAttachedVolume_OfRunningContainer_WithForce_StopsSwapsAndStartsAgain()
    {
        Incus.WriteFile("c1", "/data/vol.bin", [9, 9, 9]);
        using var ps = PowerShellSession.Create(nonInteractive: true);

        var result = Run(ps, "Restore-IncusVolume -Name default/v1 -Project $P -Target $T -Replace -Force");

        result.AssertNoErrors();
        var r = Assert.Single(result.Output);
        Assert.Equal("Replaced", Prop<object>(r, "Action").ToString());
        Assert.Equal([$"{scenario.Project}/c1"], Prop<string[]>(r, "RestartedInstances"));
        Assert.Equal("Running", Incus.InstanceState("c1"));
        Assert.Equal(scenario.VolumeFile, Incus.ReadFile("c1", "/data/vol.bin"));
        Assert.Equal(["v1"], Incus.ListVolumes("default"));
        Assert.Equal("v1", scenario.Instance(scenario.Project, "c1").GetProperty("devices").GetProperty("v1").GetProperty("source").GetString());
    }

    [IncusFact]
    public void ReplaceRunningInstance_AfterAnInteractiveYes_ComesBackRunningWithItsSnapshots()
    {
        Incus.WriteFile("c1", "/root/known.bin", [7, 7, 7]);
        using var ps = PowerShellSession.Create();
        ps.EnqueueChoice(ConfirmChoice.ShouldContinueYes);

        var result = Run(ps, "Restore-IncusInstance -Name c1 -Project $P -Target $T");

        result.AssertNoErrors();
        var prompt = Assert.Single(result.Prompts);
        Assert.Contains($"{scenario.Project}/c1 exists", prompt.Message, StringComparison.Ordinal);
        Assert.Contains($"Running instances stopped for the swap and started again: {scenario.Project}/c1", prompt.Message, StringComparison.Ordinal);
        Assert.Equal("Replaced", Prop<object>(Assert.Single(result.Output), "Action").ToString());
        Assert.Equal("Running", Incus.InstanceState("c1"));
        Assert.Equal(scenario.RootFile, Incus.ReadFile("c1", "/root/known.bin"));
        Assert.Equal(["snap1"], Incus.ListSnapshots("c1"));
        Assert.DoesNotContain(Incus.ListInstances(), n => n.Contains("-ib", StringComparison.Ordinal));
    }

    [IncusFact]
    public void ReplaceRunningInstance_AnsweredNo_ChangesNothing()
    {
        var before = scenario.ServerState();
        using var ps = PowerShellSession.Create();
        ps.EnqueueChoice(ConfirmChoice.ShouldContinueNo);

        var result = Run(ps, "Restore-IncusInstance -Name c1 -Project $P -Target $T -Replace");

        result.AssertNoErrors();
        Assert.Empty(result.Output);
        Assert.Single(result.Prompts);
        Assert.Equal(before, scenario.ServerState());
    }

    [IncusFact]
    public void ReplaceRunningEphemeralInstance_WithForce_ReplacesIt_InsteadOfLosingItToTheStop()
    {
        Incus.Incus("launch", IncusProjectFixture.DefaultImage, "eph", "--ephemeral");
        try
        {
            Incus.WriteFile("eph", "/root/e.bin", [1, 2, 3]);
            using var ps = PowerShellSession.Create(nonInteractive: true);
            Run(ps, "Backup-IncusInstance -Name eph -Project $P -Target $T").AssertNoErrors();
            Incus.WriteFile("eph", "/root/e.bin", [9, 9]);

            var result = Run(ps, "Restore-IncusInstance -Name eph -Project $P -Target $T -Replace -Force");

            result.AssertNoErrors();
            Assert.Equal("Replaced", Prop<object>(Assert.Single(result.Output), "Action").ToString());
            Assert.Equal("Running", Incus.InstanceState("eph"));
            Assert.Equal([1, 2, 3], Incus.ReadFile("eph", "/root/e.bin"));
            Assert.True(scenario.Instance(scenario.Project, "eph").GetProperty("ephemeral").GetBoolean());
            Assert.DoesNotContain(Incus.ListInstances(), n => n.Contains("-ib", StringComparison.Ordinal));
        }
        finally
        {
            Incus.Incus("delete", "-f", "eph");
        }
    }

    [IncusFact]
    public void ReplaceVolumeAttachedThroughAProfile_IsRefusedUpFront_AndNothingChanges()
    {
        Incus.CreateVolume("default", "pv");
        Incus.Incus("profile", "create", "pvol");
        Incus.Incus("profile", "device", "add", "pvol", "pdata", "disk", "pool=default", "source=pv", "path=/pdata");
        Incus.Incus("launch", IncusProjectFixture.DefaultImage, "pc", "--profile", "default", "--profile", "pvol");
        try
        {
            Incus.WriteFile("pc", "/pdata/p.bin", [1, 1, 1]);
            using var ps = PowerShellSession.Create(nonInteractive: true);
            var backup = Run(ps, "Backup-IncusVolume -Name default/pv -Project $P -Target $T");
            backup.AssertNoErrors();
            Assert.Equal("Frozen", Prop<string>(Assert.Single(backup.Output), "Consistency")); // pc uses it through the profile
            Incus.WriteFile("pc", "/pdata/p.bin", [2, 2, 2]);
            var before = scenario.ServerState();

            var result = Run(ps, "Restore-IncusVolume -Name default/pv -Project $P -Target $T -Replace -Force");

            var error = Assert.Single(result.Errors);
            Assert.StartsWith("ReplaceNotSupported,", error.FullyQualifiedErrorId, StringComparison.Ordinal);
            Assert.Contains("pvol", error.ToString(), StringComparison.Ordinal);
            Assert.Equal(before, scenario.ServerState());
            Assert.Equal([2, 2, 2], Incus.ReadFile("pc", "/pdata/p.bin"));

            var copy = Run(ps, "Restore-IncusVolume -Name default/pv -Project $P -Target $T -NewName pv-copy");
            copy.AssertNoErrors();
            Assert.Contains("pv-copy", Incus.ListVolumes("default"));
            Incus.Incus("storage", "volume", "delete", "default", "pv-copy");
        }
        finally
        {
            Incus.Incus("delete", "-f", "pc");
            Incus.Incus("profile", "delete", "pvol");
            Incus.Incus("storage", "volume", "delete", "default", "pv");
        }
    }

    [IncusTheory]
    [InlineData("stop")]
    [InlineData("retire")]
    [InlineData("swap")]
    [InlineData("start")]
    public async Task InstanceReplace_FailingAtAStep_LeavesTheOriginalAsItWas(string failingStep)
    {
        Incus.WriteFile("c1", "/root/known.bin", [4, 2]);
        Incus.Incus("config", "set", "c1", "user.marker", "before-" + failingStep);
        var before = Settings(scenario.Instance(scenario.Project, "c1"));

        var error = await Assert.ThrowsAsync<IncusBackup.Errors.IncusBackupException>(() => ReplaceWithFailureAsync(BackupKind.Instance, "c1", failingStep));

        Assert.Equal("ReplaceRolledBack", error.ErrorId);
        Assert.Contains(failingStep, error.Message, StringComparison.Ordinal);
        Assert.Equal("Running", Incus.InstanceState("c1"));
        Assert.Equal([4, 2], Incus.ReadFile("c1", "/root/known.bin"));
        Assert.Equal("before-" + failingStep, scenario.Instance(scenario.Project, "c1").GetProperty("config").GetProperty("user.marker").GetString());
        Assert.Equal(["snap1"], Incus.ListSnapshots("c1"));
        Assert.DoesNotContain(Incus.ListInstances(), n => n.Contains("-ib", StringComparison.Ordinal));
        Assert.Equal(before, Settings(scenario.Instance(scenario.Project, "c1")));
    }

    [IncusTheory]
    [InlineData("stop")]
    [InlineData("swap")]
    [InlineData("repoint")]
    [InlineData("start")]
    public async Task VolumeReplace_FailingAtAStep_LeavesVolumeAndUsersAsTheyWere(string failingStep)
    {
        Incus.WriteFile("c1", "/data/vol.bin", [5, 5]);

        var error = await Assert.ThrowsAsync<IncusBackup.Errors.IncusBackupException>(() => ReplaceWithFailureAsync(BackupKind.Volume, "v1", failingStep));

        Assert.Equal("ReplaceRolledBack", error.ErrorId);
        Assert.Equal("Running", Incus.InstanceState("c1"));
        Assert.Equal([5, 5], Incus.ReadFile("c1", "/data/vol.bin"));
        Assert.Equal(["v1"], Incus.ListVolumes("default"));
        Assert.Equal("v1", scenario.Instance(scenario.Project, "c1").GetProperty("devices").GetProperty("v1").GetProperty("source").GetString());
    }

    /// <summary>Runs a real replace through the engine with one step made to fail (the fake is only that failure).</summary>
    private async Task ReplaceWithFailureAsync(BackupKind kind, string name, string failingStep)
    {
        var repository = RepositoryFactory.OpenForRead(new RepositoryTarget("dir", scenario.Repository.Path, "test"));
        var record = (await repository.ListAsync(kind, CancellationToken.None)).Records
            .Where(r => r.Name == name && r.Project == scenario.Project && !r.WithoutSnapshots).OrderBy(r => r.Version).Last();
        using var server = IncusConnection.Open();
        var request = new RestoreRequest { Backup = record, Conflict = ConflictMode.Replace };
        var plan = await new RestorePlanner(server).PlanAsync(repository, request, kind, CancellationToken.None);
        var executor = new RestoreExecutor
        {
            BeforeAction = action => action == failingStep ? throw new InvalidOperationException($"injected failure at {action}") : Task.CompletedTask,
        };
        await executor.ExecuteAsync(plan, new RecordingReporter(), CancellationToken.None);
    }

    /// <summary>An instance's own settings: config without volatile.* keys (they move on every start), devices, profiles.</summary>
    private static string Settings(System.Text.Json.JsonElement instance) =>
        string.Join(";", instance.GetProperty("config").EnumerateObject().Where(p => !p.Name.StartsWith("volatile.", StringComparison.Ordinal)).Select(p => $"{p.Name}={p.Value}"))
        + "|" + instance.GetProperty("devices") + "|" + instance.GetProperty("profiles") + "|" + instance.GetProperty("created_at");
}

using System.Management.Automation;
using IncusBackup.Tests.Infrastructure;
using Xunit;

namespace IncusBackup.Tests.Integration;

/// <summary>Restore-IncusInstance and Restore-IncusVolume against the real incusd: copies, mappings, conflicts, safety.</summary>
public sealed class RestoreIntegrationTests(RestoreScenario scenario) : IClassFixture<RestoreScenario>, IDisposable
{
    private readonly PowerShellSession _ps = PowerShellSession.Create(nonInteractive: true);

    public void Dispose() => _ps.Dispose();

    private PowerShellResult Run(string script) => _ps.Invoke(script, new Dictionary<string, object?>
    {
        ["P"] = scenario.Project, ["P2"] = scenario.OtherProject, ["T"] = scenario.Target,
        ["Pool2"] = scenario.SecondPool, ["Br2"] = scenario.SecondBridge, ["N"] = scenario.NicInstance,
    });

    private static T Prop<T>(PSObject o, string name) => PowerShellSession.Prop<T>(o, name)!;

    private IncusProjectFixture Incus => scenario.Incus;

    private string N => scenario.NicInstance;

    [IncusFact]
    public void NewName_RestoresBesideTheOriginal_ByteForByte_WithSnapshots()
    {
        var result = Run("Restore-IncusInstance -Name c1 -Project $P -Target $T -NewName c1-copy -Start");

        result.AssertNoErrors();
        var r = Assert.Single(result.Output);
        Assert.Equal("Restored", Prop<object>(r, "Action").ToString());
        Assert.Equal("c1-copy", Prop<string>(r, "TargetName"));
        Assert.Equal("c1-copy", Prop<string>(r, "NewName")); // the old name, kept as an alias
        Assert.True(Prop<bool>(r, "Started"));
        Assert.Equal("Running", Incus.InstanceState("c1-copy"));
        Assert.Equal("Running", Incus.InstanceState("c1"));
        Assert.Equal(scenario.RootFile, Incus.ReadFile("c1-copy", "/root/known.bin"));
        Assert.Equal(["snap1"], Incus.ListSnapshots("c1-copy"));
        Incus.Incus("delete", "-f", "c1-copy");
    }

    [IncusFact]
    public void ProjectMap_RestoresVolumeThenInstanceIntoAnotherProject()
    {
        var result = Run("""
            Restore-IncusVolume -Name default/v1 -Project $P -Target $T -ProjectMap @{ $P = $P2 }
            Restore-IncusInstance -Name c1 -Project $P -Target $T -ProjectMap @{ $P = $P2 } -Start
            """);

        result.AssertNoErrors();
        Assert.Equal(2, result.Output.Count);
        Assert.All(result.Output, r => Assert.Equal(scenario.OtherProject, Prop<string>(r, "TargetProject")));
        Assert.Equal(scenario.VolumeFile, scenario.Other.ReadFile("c1", "/data/vol.bin"));
        Assert.Equal(scenario.RootFile, scenario.Other.ReadFile("c1", "/root/known.bin"));
        Assert.Equal(["snap1"], scenario.Other.ListSnapshots("c1"));
        scenario.Other.Incus("delete", "-f", "c1");
        scenario.Other.Incus("storage", "volume", "delete", "default", "v1");
    }

    [IncusFact]
    public void PoolMap_PutsTheRootDiskOnAnotherPool()
    {
        var result = Run("Restore-IncusInstance -Name $N -Project $P -Target $T -NewName ($N + '-pool') -PoolMap @{ default = $Pool2 }");

        result.AssertNoErrors();
        var instance = scenario.Instance(scenario.Project, N + "-pool");
        Assert.Equal(scenario.SecondPool, instance.GetProperty("expanded_devices").GetProperty("root").GetProperty("pool").GetString());
        Assert.Contains(IncusCli.Query($"/1.0/storage-pools/{scenario.SecondPool}/volumes/container?project={scenario.Project}").EnumerateArray(),
            v => v.GetString()!.Split('?')[0].EndsWith("/" + N + "-pool", StringComparison.Ordinal));
        Incus.Incus("delete", "-f", N + "-pool");
    }

    [IncusFact]
    public void NetworkMap_MovesTheNicToAnotherBridge()
    {
        var result = Run("Restore-IncusInstance -Name $N -Project $P -Target $T -NewName ($N + '-net') -NetworkMap @{ incusbr0 = $Br2 }");

        result.AssertNoErrors();
        Assert.Contains(Prop<string[]>(Assert.Single(result.Output), "Mapped"), m => m.Contains(scenario.SecondBridge, StringComparison.Ordinal));
        var instance = scenario.Instance(scenario.Project, N + "-net");
        Assert.Equal(scenario.SecondBridge, instance.GetProperty("devices").GetProperty("eth0").GetProperty("network").GetString());
        Assert.Equal("incusbr0", scenario.Instance(scenario.Project, N).GetProperty("devices").GetProperty("eth0").GetProperty("network").GetString());
        Incus.Incus("delete", "-f", N + "-net");
    }

    [IncusFact]
    public void ProfileMap_AppliesTheProfileWithAnotherName()
    {
        var result = Run("Restore-IncusInstance -Name $N -Project $P -Target $T -NewName ($N + '-prof') -ProfileMap @{ pextra = 'pother' }");

        result.AssertNoErrors();
        var instance = scenario.Instance(scenario.Project, N + "-prof");
        Assert.Equal(["default", "pother"], instance.GetProperty("profiles").EnumerateArray().Select(p => p.GetString()));
        Assert.Equal("other", instance.GetProperty("expanded_config").GetProperty("user.marker").GetString());
        Incus.Incus("delete", "-f", N + "-prof");
    }

    [IncusFact]
    public void MissingMappedProfile_IsFoundBeforeAnyChange_AndNamed()
    {
        var before = scenario.ServerState();
        var result = Run("Restore-IncusInstance -Name $N -Project $P -Target $T -NewName ($N + '-x') -ProfileMap @{ pextra = 'nosuchprofile' } -NetworkMap @{ incusbr0 = 'nosuchnet' }");

        var error = Assert.Single(result.Errors);
        Assert.StartsWith("DependencyMissing,", error.FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.Contains("profile 'nosuchprofile'", error.ToString(), StringComparison.Ordinal);
        Assert.Contains("network 'nosuchnet'", error.ToString(), StringComparison.Ordinal);
        Assert.Equal(before, scenario.ServerState());
    }

    [IncusFact]
    public void Pipeline_RestoresExactlyThePipedVersion()
    {
        Incus.WriteFile("c1", "/root/known.bin", [1, 2, 3]);
        Run("Backup-IncusInstance -Name c1 -Project $P -Target $T -InstanceOnly").AssertNoErrors();
        Incus.WriteFile("c1", "/root/known.bin", scenario.RootFile);

        var result = Run("""
            $versions = Get-IncusBackup -Target $T -Name c1 -Project $P
            $versions | Where-Object { -not $_.InstanceOnly } | Restore-IncusInstance -NewName c1-old -Start
            $versions | Where-Object InstanceOnly | Restore-IncusInstance -NewName c1-new -Start
            """);

        result.AssertNoErrors();
        Assert.Equal(2, result.Output.Count);
        Assert.Equal(scenario.RootFile, Incus.ReadFile("c1-old", "/root/known.bin"));
        Assert.Equal([1, 2, 3], Incus.ReadFile("c1-new", "/root/known.bin"));
        Assert.Equal(["snap1"], Incus.ListSnapshots("c1-old"));
        Assert.Empty(Incus.ListSnapshots("c1-new"));
        Incus.Incus("delete", "-f", "c1-old");
        Incus.Incus("delete", "-f", "c1-new");
        foreach (var dir in Directory.GetDirectories(Path.Combine(scenario.Repository.Path, "instances", scenario.Project, "c1")).Order().Skip(1))
            Directory.Delete(dir, recursive: true);
    }

    [IncusFact]
    public void ExistingTarget_NonInteractiveWithoutForce_IsConfirmationRequired_AndNothingChanges()
    {
        var before = scenario.ServerState();
        var result = Run("Restore-IncusInstance -Name c1 -Project $P -Target $T; Restore-IncusVolume -Name default/v1 -Project $P -Target $T -Replace");

        Assert.Equal(2, result.Errors.Count);
        Assert.All(result.Errors, e => Assert.StartsWith("ConfirmationRequired,", e.FullyQualifiedErrorId, StringComparison.Ordinal));
        Assert.Empty(result.Output);
        Assert.Equal(before, scenario.ServerState());
    }

    [IncusFact]
    public void Replace_OfAStoppedTarget_NeedsNoPrompt_EvenWhereNothingCanPrompt()
    {
        Run("Restore-IncusInstance -Name c1 -Project $P -Target $T -NewName c1-stopped").AssertNoErrors();
        Incus.WriteFile("c1-stopped", "/root/known.bin", [3, 1, 4]);

        var result = Run("Restore-IncusInstance -Name c1 -Project $P -Target $T -NewName c1-stopped -Replace");

        result.AssertNoErrors();
        Assert.Equal("Replaced", Prop<object>(Assert.Single(result.Output), "Action").ToString());
        Assert.Equal("Stopped", Incus.InstanceState("c1-stopped"));
        Incus.Incus("start", "c1-stopped");
        Assert.Equal(scenario.RootFile, Incus.ReadFile("c1-stopped", "/root/known.bin"));
        Assert.DoesNotContain(Incus.ListInstances(), n => n.Contains("-ib", StringComparison.Ordinal));
        Incus.Incus("delete", "-f", "c1-stopped");
    }

    [IncusFact]
    public void SkipExisting_ReportsSkipped_AndChangesNothing()
    {
        var before = scenario.ServerState();
        var result = Run("Restore-IncusInstance -Name c1 -Project $P -Target $T -SkipExisting");
        result.AssertNoErrors();
        Assert.Equal("Skipped", Prop<object>(Assert.Single(result.Output), "Action").ToString());
        Assert.Equal(before, scenario.ServerState());
    }

    [IncusFact]
    public void WhatIf_ListsEveryStep_AndChangesNothingOnServerOrInRepository()
    {
        var server = scenario.ServerState();
        var repository = scenario.RepositoryState();
        var version = Prop<string>(Run("Get-IncusBackup -Target $T -Name c1 -Project $P -Latest").Output.Single(), "Version");
        var volumeVersion = Prop<string>(Run("Get-IncusBackup -Target $T -Name v1 -Project $P -Latest").Output.Single(), "Version");
        var p = scenario.Project;

        var result = Run("""
            Restore-IncusInstance -Name c1 -Project $P -Target $T -NewName c1-w -Start -WhatIf
            Restore-IncusInstance -Name c1 -Project $P -Target $T -Replace -WhatIf
            Restore-IncusVolume -Name default/v1 -Project $P -Target $T -Replace -Force -WhatIf
            Restore-IncusInstance -Name c1 -Project $P -Target $T -SkipExisting -WhatIf
            """);

        result.AssertNoErrors();
        Assert.Empty(result.Output);
        Assert.Equal(
            [
                $"Performing the operation \"Restore instance\" on target \"{p}/c1-w from {p}/c1@{version}\".",
                $"Performing the operation \"Start instance\" on target \"{p}/c1-w\".",
                $"Performing the operation \"Upload backup as temporary instance\" on target \"{p}/c1-ibnew from {p}/c1@{version}\".",
                $"Performing the operation \"Stop instance\" on target \"{p}/c1\".",
                $"Performing the operation \"Swap restored instance in\" on target \"{p}/c1 (original kept as c1-ibold until the swap succeeds)\".",
                $"Performing the operation \"Start instance\" on target \"{p}/c1\".",
                $"Performing the operation \"Delete original instance\" on target \"{p}/c1-ibold\".",
                $"Performing the operation \"Upload backup as temporary volume\" on target \"{p}/default/v1-ibnew from {p}/v1@{volumeVersion}\".",
                $"Performing the operation \"Stop instance\" on target \"{p}/c1\".",
                $"Performing the operation \"Swap restored volume in\" on target \"{p}/default/v1 (original kept as v1-ibold until the swap succeeds)\".",
                $"Performing the operation \"Start instance\" on target \"{p}/c1\".",
                $"Performing the operation \"Delete original volume\" on target \"{p}/default/v1-ibold\".",
                $"Performing the operation \"Skip existing instance\" on target \"{p}/c1\".",
            ],
            result.WhatIfLines);
        Assert.Equal(server, scenario.ServerState());
        Assert.Equal(repository, scenario.RepositoryState());
    }

    [IncusFact]
    public void CorruptedArchive_IsRefusedBeforeTheServerSeesIt()
    {
        var record = Run("Get-IncusBackup -Target $T -Name $N -Project $P -Latest").Output.Single();
        var file = ArchiveContents.ArchivePath(record);
        var original = File.ReadAllBytes(file);
        var corrupted = (byte[])original.Clone();
        corrupted[corrupted.Length / 2] ^= 0x01;
        File.WriteAllBytes(file, corrupted);
        try
        {
            var before = scenario.ServerState();
            var result = Run("Restore-IncusInstance -Name $N -Project $P -Target $T -NewName ($N + '-bad')");
            Assert.StartsWith("ChecksumMismatch,", Assert.Single(result.Errors).FullyQualifiedErrorId, StringComparison.Ordinal);
            Assert.Equal(before, scenario.ServerState());

            File.Delete(file);
            var missing = Run("Restore-IncusInstance -Name $N -Project $P -Target $T -NewName ($N + '-bad')");
            Assert.StartsWith("BackupFileMissing,", Assert.Single(missing.Errors).FullyQualifiedErrorId, StringComparison.Ordinal);
        }
        finally
        {
            File.WriteAllBytes(file, original);
            File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }

    [IncusFact]
    public void VolumeBackup_PipedToRestoreIncusInstance_IsAKindMismatch()
    {
        var result = Run("Get-IncusBackup -Target $T -Kind Volume | Restore-IncusInstance -NewName nope");
        Assert.StartsWith("BackupKindMismatch,", Assert.Single(result.Errors).FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.Empty(result.Output);
    }
}

using System.Collections.Concurrent;
using System.Management.Automation;
using System.Text;
using IncusBackup.Tests.Infrastructure;
using Xunit;

namespace IncusBackup.Tests.Integration;

/// <summary>-Consistency Snapshot and Auto against the real incusd, on a btrfs pool (copy-on-write) and the dir pool.</summary>
public sealed class CopyOnWriteBackupTests(CopyOnWriteScenario scenario) : IClassFixture<CopyOnWriteScenario>, IDisposable
{
    private const string CopyPrefix = "incusbackup-";
    private readonly TempDirectory _repo = new();
    private readonly PowerShellSession _ps = PowerShellSession.Create(nonInteractive: true);

    public void Dispose()
    {
        _ps.Dispose();
        _repo.Dispose();
    }

    private PowerShellResult Run(string script) =>
        _ps.Invoke(script, new Dictionary<string, object?> { ["P"] = scenario.Project, ["T"] = "dir:" + _repo.Path, ["Pool"] = scenario.Pool });

    private static T Prop<T>(PSObject o, string name) => PowerShellSession.Prop<T>(o, name)!;

    [IncusFact]
    public void SnapshotMode_RunningContainer_StaysRunning_RestoresAWholeLog_ItsSnapshotAndItsIdentity_AndLeavesNoCopy()
    {
        var states = new ConcurrentBag<string>();
        using var stop = new CancellationTokenSource();
        var poller = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested) states.Add(scenario.Incus.InstanceState("c1"));
        });
        PowerShellResult backup;
        try
        {
            backup = Run("Backup-IncusInstance -Name c1 -Project $P -Target $T -Consistency Snapshot -Verbose");
        }
        finally
        {
            stop.Cancel();
            poller.Wait();
        }

        backup.AssertNoErrors();
        var record = Assert.Single(backup.Output);
        Assert.Equal("Snapshot", Prop<string>(record, "Consistency"));
        Assert.Equal(["snap1"], Prop<string[]>(record, "Snapshots"));
        Assert.NotEmpty(states);
        Assert.All(states, s => Assert.Equal("Running", s));
        Assert.Contains(backup.Verbose, v => v.StartsWith($"Consistency of {scenario.Project}/c1: Snapshot", StringComparison.Ordinal));
        Assert.DoesNotContain(scenario.Incus.ListInstances(), n => n.StartsWith(CopyPrefix, StringComparison.Ordinal));
        Assert.Equal(["snap1"], scenario.Incus.ListSnapshots("c1"));
        Assert.Empty(scenario.Incus.ListServerBackups("c1"));

        // The archive is the original's: its name and volatile keys (MAC address, cloud-init id, uuid), none of the copy's.
        var archive = ArchiveContents.ArchivePath(record);
        var yaml = Encoding.UTF8.GetString(ArchiveContents.ReadFiles(archive, n => n == "backup/container/backup.yaml").Values.Single());
        var original = scenario.Incus.Query($"/1.0/instances/c1").GetProperty("config");
        foreach (var key in new[] { "volatile.eth0.hwaddr", "volatile.cloud-init.instance-id", "volatile.uuid" })
            Assert.Contains(original.GetProperty(key).GetString()!, yaml, StringComparison.Ordinal);
        Assert.DoesNotContain("apply_template", yaml, StringComparison.Ordinal);
        Assert.DoesNotContain("user.incusbackup", yaml, StringComparison.Ordinal);
        Assert.DoesNotContain(CopyPrefix, yaml, StringComparison.Ordinal);

        var restore = Run("Restore-IncusInstance -Name c1 -Project $P -Target $T -NewName c1-back");
        restore.AssertNoErrors();
        Assert.Equal(["snap1"], scenario.Incus.ListSnapshots("c1-back"));
        Assert.Equal("after-snapshot\n", Encoding.UTF8.GetString(scenario.Incus.ReadFile("c1-back", "/root/marker")));
        var log = Encoding.UTF8.GetString(scenario.Incus.ReadFile("c1-back", "/root/log"));
        Assert.EndsWith(" end\n", log, StringComparison.Ordinal);
        var lines = log.TrimEnd('\n').Split('\n');
        Assert.True(lines.Length > 10, $"only {lines.Length} lines were written");
        for (var i = 0; i < lines.Length; i++) Assert.Equal($"line {i + 1} end", lines[i]);
        scenario.Incus.Incus("delete", "c1-back");
    }

    [IncusFact]
    public void SnapshotMode_VolumeUsedByARunningContainer_RoundTripsWithItsSnapshot_WithoutFreezingIt()
    {
        var backup = Run("Backup-IncusVolume -Name \"$Pool/v1\" -Project $P -Target $T -Consistency Snapshot -Verbose");

        backup.AssertNoErrors();
        var record = Assert.Single(backup.Output);
        Assert.Equal("Snapshot", Prop<string>(record, "Consistency"));
        Assert.Equal(["vs1"], Prop<string[]>(record, "Snapshots"));
        Assert.DoesNotContain(backup.Verbose, v => v.StartsWith("Froze", StringComparison.Ordinal));
        Assert.DoesNotContain(scenario.Incus.ListVolumes(scenario.Pool), n => n.StartsWith(CopyPrefix, StringComparison.Ordinal));
        Assert.Equal(scenario.VolumeFile, ArchiveContents.ReadFiles(ArchiveContents.ArchivePath(record), n => n == "backup/volume/vol.bin").Values.Single());

        Run("Restore-IncusVolume -Name \"$Pool/v1\" -Project $P -Target $T -NewName v1-back").AssertNoErrors();
        var restored = scenario.Incus.Query($"/1.0/storage-pools/{scenario.Pool}/volumes/custom/v1-back");
        Assert.False(restored.GetProperty("config").TryGetProperty("user.incusbackup.temporary-of", out _));
        var snapshots = scenario.Incus.Query($"/1.0/storage-pools/{scenario.Pool}/volumes/custom/v1-back/snapshots");
        Assert.Single(snapshots.EnumerateArray());
        scenario.Incus.Incus("storage", "volume", "delete", scenario.Pool, "v1-back");
    }

    [IncusFact]
    public void Optimized_VolumeOnBtrfs_RoundTripsByteForByte_AndADirPoolIsRefusedUpFront()
    {
        var backup = Run("Backup-IncusVolume -Name \"$Pool/v1\" -Project $P -Target $T -Optimized");

        backup.AssertNoErrors();
        var record = Assert.Single(backup.Output);
        Assert.True(Prop<bool>(record, "Optimized"));
        // The driver's own stream (btrfs send), not a file tree.
        Assert.Contains(ArchiveContents.ReadFiles(ArchiveContents.ArchivePath(record), _ => true).Keys, n => n.EndsWith(".bin", StringComparison.Ordinal));

        var refused = Run("Restore-IncusVolume -Name \"$Pool/v1\" -Project $P -Target $T -NewName v1-dir -PoolMap @{ $Pool = 'default' }");
        var error = Assert.Single(refused.Errors);
        Assert.StartsWith("OptimizedDriverMismatch,", error.FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.Contains($"'default' is dir", error.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("v1-dir", scenario.Incus.ListVolumes("default"));

        Run("Restore-IncusVolume -Name \"$Pool/v1\" -Project $P -Target $T -NewName v1-opt").AssertNoErrors();
        try
        {
            scenario.Incus.AttachVolume(scenario.Pool, "v1-opt", "c1", "/mnt/v1-opt");
            Assert.Equal(scenario.VolumeFile, scenario.Incus.ReadFile("c1", "/mnt/v1-opt/vol.bin"));
            Assert.Single(scenario.Incus.Query($"/1.0/storage-pools/{scenario.Pool}/volumes/custom/v1-opt/snapshots").EnumerateArray());
        }
        finally
        {
            scenario.Incus.Incus("storage", "volume", "detach", scenario.Pool, "v1-opt", "c1");
            scenario.Incus.Incus("storage", "volume", "delete", scenario.Pool, "v1-opt");
        }
    }

    [IncusFact]
    public void Optimized_InstanceOnBtrfs_RestoresBesideTheOriginal_WithNewMacAddresses_AndRefusesAProfileMap()
    {
        var backup = Run("Backup-IncusInstance -Name c1 -Project $P -Target $T -Optimized -Consistency Freeze");
        backup.AssertNoErrors();
        Assert.True(Prop<bool>(Assert.Single(backup.Output), "Optimized"));

        var refused = Run("Restore-IncusInstance -Name c1 -Project $P -Target $T -NewName c1-mapped -ProfileMap @{ default = 'other' }");
        Assert.StartsWith("OptimizedMappingUnsupported,", Assert.Single(refused.Errors).FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.DoesNotContain("c1-mapped", scenario.Incus.ListInstances());

        var restored = Run("Restore-IncusInstance -Name c1 -Project $P -Target $T -NewName c1-opt -Start");
        try
        {
            restored.AssertNoErrors();
            Assert.True(Prop<bool>(Assert.Single(restored.Output), "Started"));
            Assert.Equal("Running", scenario.Incus.InstanceState("c1-opt"));
            Assert.Equal(["snap1"], scenario.Incus.ListSnapshots("c1-opt"));
            Assert.Equal("after-snapshot\n", Encoding.ASCII.GetString(scenario.Incus.ReadFile("c1-opt", "/root/marker")));
            Assert.NotEqual(scenario.Incus.Incus("config", "get", "c1", "volatile.eth0.hwaddr"), scenario.Incus.Incus("config", "get", "c1-opt", "volatile.eth0.hwaddr"));
        }
        finally
        {
            scenario.Incus.Incus("delete", "-f", "c1-opt");
        }
    }

    [IncusFact]
    public void Auto_PicksSnapshotOnBtrfs_AndFreezeOnDir_AndSaysSo()
    {
        var result = Run("Backup-IncusInstance -Name c1, d1 -Project $P -Target $T -Verbose");

        result.AssertNoErrors();
        Assert.Equal("Snapshot", Prop<string>(result.Output.Single(r => Prop<string>(r, "Name") == "c1"), "Consistency"));
        Assert.Equal("Frozen", Prop<string>(result.Output.Single(r => Prop<string>(r, "Name") == "d1"), "Consistency"));
        Assert.Contains(result.Verbose, v => v.StartsWith($"Consistency of {scenario.Project}/c1: Snapshot (pool {scenario.Pool} (btrfs)", StringComparison.Ordinal));
        Assert.Contains(result.Verbose, v => v.StartsWith($"Consistency of {scenario.Project}/d1: Freeze (pool default (dir)", StringComparison.Ordinal));
    }

    [IncusFact]
    public void SnapshotMode_OnADirPool_IsRefusedWithANextStep()
    {
        var result = Run("Backup-IncusInstance -Name d1 -Project $P -Target $T -Consistency Snapshot");

        var error = Assert.Single(result.Errors);
        Assert.StartsWith("SnapshotConsistencyUnavailable", error.FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.Contains("-Consistency Auto", error.ErrorDetails?.RecommendedAction ?? error.ToString(), StringComparison.Ordinal);
        Assert.Equal("Running", scenario.Incus.InstanceState("d1"));
    }

    [IncusFact]
    public void ACopyLeftByAKilledRun_IsRemovedByTheNextSnapshotBackup()
    {
        // What a run killed between copy and delete leaves: a stopped copy with our prefix and the marker of a dead pid.
        var leftover = CopyPrefix + "999999-deadbeef";
        var bootId = File.ReadAllText("/proc/sys/kernel/random/boot_id").Trim();
        scenario.Incus.Incus("copy", "c1", leftover, "--instance-only",
            "-c", "user.incusbackup.temporary-of=c1", "-c", $"user.incusbackup.temporary-by=999999@{bootId}");

        var result = Run("Backup-IncusInstance -Name c1 -Project $P -Target $T -Consistency Snapshot");

        result.AssertNoErrors();
        Assert.Contains(result.Warnings, w => w.Contains(leftover, StringComparison.Ordinal));
        Assert.DoesNotContain(leftover, scenario.Incus.ListInstances());
    }
}

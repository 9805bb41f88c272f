using IncusBackup.IO;
using IncusBackup.Archive;
using IncusBackup.Backup;
using IncusBackup.Errors;
using IncusBackup.Incus;
using IncusBackup.Repository.Directory;
using IncusBackup.Tests.Core.Archive;
using IncusBackup.Tests.Fakes;
using Xunit;

namespace IncusBackup.Tests.Core.Backup;

/// <summary>
/// -Consistency against the in-memory server: which mode Auto picks, the copy made, exported, rewritten to the
/// original's identity and deleted, the fall back to Freeze, refusals, and the sweep of a dead run's copies.
/// </summary>
public sealed class SnapshotConsistencyTests : IDisposable
{
    private const string OriginalMac = "00:16:3e:aa:bb:cc";
    private static readonly CancellationToken None = CancellationToken.None;

    private readonly string _root = Path.Combine(Path.GetTempPath(), "ib-cow-" + Guid.NewGuid().ToString("N"));
    private readonly InMemoryIncus _incus = new();
    private readonly RecordingReporter _reporter = new();
    private readonly DirectoryRepository _repository;

    public SnapshotConsistencyTests()
    {
        _repository = DirectoryRepository.OpenForWrite(_root, "t");
        _incus.ProjectNames.Add("p");
        _incus.PoolNames.Add("fast");
        _incus.PoolDrivers["fast"] = "btrfs";
        // The copy's export is what the server writes for a copy: the copy's name and regenerated keys.
        _incus.CopyExport = copy => TestArchives.Container();
    }

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
        if (Directory.Exists(_root + "-journal")) Directory.Delete(_root + "-journal", recursive: true);
    }

    private BackupEngine Engine() => new(_incus, _repository, "t") { Journal = new FreezeJournal(_root + "-journal") };

    /// <summary>"a1", the name the test archive carries, with a MAC address of its own.</summary>
    private IncusInstance AddRunning(string pool = "fast")
    {
        var instance = _incus.AddInstance("p", "a1", InstanceStatus.Running, pool);
        instance.Config = new() { ["volatile.eth0.hwaddr"] = OriginalMac, ["image.os"] = "busybox" };
        instance.ExpandedConfig = new(instance.Config);
        instance.CreatedAt = new DateTimeOffset(2026, 11, 20, 10, 0, 0, TimeSpan.Zero);
        _incus.ExportContent["p/a1"] = TestArchives.Container();
        _incus.Snapshots["p/a1"] = ["s1"];
        return instance;
    }

    private Task<BackupRecord> BackupAsync(IncusInstance instance, ConsistencyMode mode, string? compression = null, bool optimized = false) =>
        Engine().BackupAsync(new InstanceBackupSource(instance), new BackupOptions { Consistency = mode, Compression = compression, Optimized = optimized }, _reporter, None);

    private string StoredYaml(BackupRecord record, string entry)
    {
        using var archive = File.OpenRead(Path.Combine(record.Location, record.ArchiveName));
        using var tar = new MemoryStream();
        ArchiveRewriter.RewriteAsync(archive, tar, RestoreMapping.None).GetAwaiter().GetResult();
        tar.Position = 0;
        using var reader = new System.Formats.Tar.TarReader(tar);
        while (reader.GetNextEntry() is { } e)
        {
            if (e.Name != entry) continue;
            using var data = new StreamReader(e.DataStream!);
            return data.ReadToEnd();
        }
        throw new InvalidDataException($"{entry} is not in the archive");
    }

    [Fact]
    public async Task Auto_OnBtrfs_ExportsACopy_WithTheOriginalsIdentity_NeverFreezes_AndDeletesTheCopy()
    {
        var instance = AddRunning();

        var record = await BackupAsync(instance, ConsistencyMode.Auto);

        Assert.Equal("Snapshot", record.Consistency);
        Assert.Equal("export.tar.zst", record.ArchiveName);
        var calls = _incus.Calls.ToList();
        Assert.DoesNotContain(calls, c => c.StartsWith("freeze", StringComparison.Ordinal));
        var copy = Assert.Single(calls, c => c.StartsWith("copy instance p/a1 ", StringComparison.Ordinal)).Split(' ')[^1];
        Assert.StartsWith(TemporaryCopies.Prefix, copy, StringComparison.Ordinal);
        Assert.Contains($"delete instance p/{copy}", calls);
        Assert.Null(_incus.FindInstance("p", copy));
        Assert.Equal(InstanceStatus.Running, instance.Status);
        Assert.Contains(_reporter.VerboseLines, v => v == "Consistency of p/a1: Snapshot (pool fast (btrfs) copies are copy-on-write).");

        foreach (var file in new[] { StoredYaml(record, "backup/index.yaml"), StoredYaml(record, "backup/container/backup.yaml") })
        {
            // The instance's own object (its snapshots keep their own keys, as in a direct export).
            var start = file.IndexOf("container:", StringComparison.Ordinal);
            var yaml = file[start..file.IndexOf("snapshots:", start, StringComparison.Ordinal)];
            Assert.Contains($"volatile.eth0.hwaddr: \"{OriginalMac}\"", yaml, StringComparison.Ordinal);
            Assert.DoesNotContain("126c3041-8d05-4b74-baad-26100a0f28b6", yaml, StringComparison.Ordinal); // the copy's uuid
            Assert.DoesNotContain("user.incusbackup", yaml, StringComparison.Ordinal);
        }
        Assert.Equal(["s1"], BackupIndex.Parse(StoredYaml(record, "backup/index.yaml")).Snapshots);
        // The instance and its root volume were created when the original was, not when the copy was.
        var backupYaml = StoredYaml(record, "backup/container/backup.yaml");
        var volume = backupYaml[backupYaml.IndexOf("\nvolume:", StringComparison.Ordinal)..];
        Assert.Contains("created_at: \"2026-11-20T10:00:00Z\"", volume, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("xz", "export.tar.xz")]
    [InlineData("gzip", "export.tar.gz")]
    [InlineData("none", "export.tar")]
    public async Task Snapshot_WritesTheCompressionAskedFor(string compression, string archiveName)
    {
        var instance = AddRunning();

        var record = await BackupAsync(instance, ConsistencyMode.Snapshot, compression);

        Assert.Equal("Snapshot", record.Consistency);
        Assert.Equal(archiveName, record.ArchiveName);
        Assert.Contains($"volatile.eth0.hwaddr: \"{OriginalMac}\"", StoredYaml(record, "backup/container/backup.yaml"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("default", null, false, "pool default (dir) copies every byte")]
    [InlineData("fast", null, true, "an optimized export cannot be given back")]
    public async Task Auto_WhereNoCopyWorks_Freezes_AndSaysWhy(string pool, string? compression, bool optimized, string reason)
    {
        var instance = AddRunning(pool);

        var record = await BackupAsync(instance, ConsistencyMode.Auto, compression, optimized);

        Assert.Equal("Frozen", record.Consistency);
        Assert.DoesNotContain(_incus.Calls, c => c.StartsWith("copy", StringComparison.Ordinal));
        Assert.Contains(_reporter.VerboseLines, v => v.StartsWith("Consistency of p/a1: Freeze (" + reason, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Snapshot_OnADirPool_IsRefused_BeforeAnythingChanges()
    {
        var instance = AddRunning("default");

        var e = await Assert.ThrowsAsync<IncusBackupException>(() => BackupAsync(instance, ConsistencyMode.Snapshot));

        Assert.Equal(ErrorIds.SnapshotConsistencyUnavailable, e.ErrorId);
        Assert.Contains("-Consistency Auto", e.RecommendedAction, StringComparison.Ordinal);
        Assert.Empty(_incus.Calls);
    }

    [Fact]
    public async Task Auto_WhenTheCopyFails_WarnsAndFreezes()
    {
        var instance = AddRunning();
        _incus.FailOn = call => call.StartsWith("copy", StringComparison.Ordinal) ? new IncusApiException(400, "Instance is running") : null;

        var record = await BackupAsync(instance, ConsistencyMode.Auto);

        Assert.Equal("Frozen", record.Consistency);
        Assert.Contains(_reporter.Warnings, w => w.Contains("could not copy p/a1", StringComparison.Ordinal) && w.EndsWith("freezing it instead.", StringComparison.Ordinal));
    }

    [Fact]
    public async Task StoppedInstance_NeedsNoCopy()
    {
        var instance = AddRunning();
        instance.Status = InstanceStatus.Stopped;

        var record = await BackupAsync(instance, ConsistencyMode.Snapshot);

        Assert.Equal("Stopped", record.Consistency);
        Assert.DoesNotContain(_incus.Calls, c => c.StartsWith("copy", StringComparison.Ordinal));
    }

    [Fact]
    public async Task VolumeOnBtrfs_IsCopied_AndItsRunningUserNeverFrozen()
    {
        var user = _incus.AddInstance("p", "web", InstanceStatus.Running);
        var volume = _incus.AddVolume("p", "fast", "data");
        volume.Config = new() { ["size"] = "1GiB", ["volatile.uuid"] = "original-uuid" };
        _incus.Attach(user, "fast", volume);
        _incus.ExportContent["p/fast/data"] = TestArchives.CustomVolume();
        _incus.CopyExport = _ => TestArchives.CustomVolume();

        var record = await Engine().BackupAsync(new VolumeBackupSource("fast", volume), new BackupOptions(), _reporter, None);

        Assert.Equal("Snapshot", record.Consistency);
        Assert.DoesNotContain(_incus.Calls, c => c.StartsWith("freeze", StringComparison.Ordinal));
        var index = StoredYaml(record, "backup/index.yaml");
        Assert.StartsWith("name: data\n", index, StringComparison.Ordinal);
        Assert.Contains("volatile.uuid: original-uuid", index, StringComparison.Ordinal);
        Assert.DoesNotContain(_incus.VolumeList, v => v.Volume.Name.StartsWith(TemporaryCopies.Prefix, StringComparison.Ordinal));
    }

    [Fact]
    public async Task CopiesOfDeadRuns_AreSwept_OthersLeftAlone()
    {
        var instance = AddRunning();
        var dead = _incus.AddInstance("p", "incusbackup-999999999-deadbeef");
        dead.Config = new() { [TemporaryCopies.TemporaryOfKey] = "a1", [TemporaryCopies.OwnerKey] = $"999999999@{RunOwner.BootId()}" };
        var live = _incus.AddInstance("p", "incusbackup-1-livelive");
        live.Config = new() { [TemporaryCopies.TemporaryOfKey] = "a1", [TemporaryCopies.OwnerKey] = RunOwner.Current };
        var lookalike = _incus.AddInstance("p", "incusbackup-999999998-notours");

        await BackupAsync(instance, ConsistencyMode.Snapshot);

        Assert.Null(_incus.FindInstance("p", dead.Name));
        Assert.NotNull(_incus.FindInstance("p", live.Name));
        Assert.NotNull(_incus.FindInstance("p", lookalike.Name));
        Assert.Contains(_reporter.Warnings, w => w.StartsWith($"Removed instance {dead.Name}, a temporary copy of a1", StringComparison.Ordinal));
    }

    [Fact]
    public async Task TemporaryCopies_AreNeverSelectedForBackup()
    {
        AddRunning();
        _incus.AddInstance("p", "incusbackup-1-abcdef01").Config = new() { [TemporaryCopies.TemporaryOfKey] = "a1" };
        _incus.AddVolume("p", "fast", "data");
        _incus.AddVolume("p", "fast", "incusbackup-1-abcdef02").Config = new() { [TemporaryCopies.TemporaryOfKey] = "data" };
        var selector = new ResourceSelector(_incus);

        var instances = await selector.SelectInstancesAsync([], "p", None);
        var volumes = await selector.SelectVolumesAsync([], null, "p", None);

        Assert.Equal(["a1"], instances.Targets.Select(t => t.Name));
        Assert.Equal(["data"], volumes.Targets.Select(t => t.Name));
    }
}

using IncusBackup.Archive;
using System.Security.Cryptography;
using System.Text;
using IncusBackup.Backup;
using IncusBackup.Errors;
using IncusBackup.Incus;
using IncusBackup.Repository;
using IncusBackup.Repository.Directory;
using IncusBackup.Tests.Core.Archive;
using IncusBackup.Tests.Fakes;
using Xunit;

namespace IncusBackup.Tests.Core.Backup;

/// <summary>
/// The backup engine against the in-memory Incus server and a directory repository: what lands in the repository
/// (archive bytes, manifest), when the source is frozen and thawed, compression fallback, the direct export, clean-up
/// of server-side backups, volumes, size estimates and cancellation.
/// </summary>
public sealed class BackupEngineTests : IDisposable
{
    private const string DeadPidLeftover = "incusbackup-999999999-20260101000000-abcdef01";
    private static readonly CancellationToken None = CancellationToken.None;

    private readonly string _root = Path.Combine(Path.GetTempPath(), "ib-engine-" + Guid.NewGuid().ToString("N"));
    private readonly InMemoryIncus _incus = new();
    private readonly RecordingReporter _reporter = new();
    private readonly DirectoryRepository _repository;

    public BackupEngineTests()
    {
        _repository = DirectoryRepository.OpenForWrite(_root, "t");
        _incus.ProjectNames.Add("p");
    }

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
        if (Directory.Exists(JournalDirectory)) Directory.Delete(JournalDirectory, recursive: true);
    }

    private string JournalDirectory => Path.Combine(_root + "-journal");

    private BackupEngine Engine(bool traced = false) =>
        new(traced ? new TracingIncus(_incus) : _incus, _repository, "t") { Journal = new FreezeJournal(JournalDirectory) };

    private BackupEngine Engine(TracingIncus traced) => new(traced, _repository, "t") { Journal = new FreezeJournal(JournalDirectory) };

    private IncusInstance AddInstance(string status, string compression = "zstd", string pool = "default")
    {
        var instance = _incus.AddInstance("p", "c1", status, pool);
        _incus.ExportContent["p/c1"] = Archive(compression);
        return instance;
    }

    private Task<BackupRecord> BackupAsync(BackupEngine engine, IncusInstance instance, BackupOptions? options = null, CancellationToken? ct = null) =>
        engine.BackupAsync(new InstanceBackupSource(instance), options ?? new BackupOptions(), _reporter, ct ?? None);

    private async Task<byte[]> ReadArchiveAsync(BackupRecord record)
    {
        await using var stream = await _repository.OpenReadAsync(record, record.ArchiveName, None);
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy);
        return copy.ToArray();
    }

    private async Task<BackupManifest> ManifestAsync(BackupRecord record) => (await BackupVerifier.ReadSealAsync(_repository, record, None)).Manifest;

    private async Task<IReadOnlyList<BackupRecord>> ListedAsync() => (await _repository.ListAsync(null, None)).Records;

    private string[] LeftInIncomplete() => Directory.GetFileSystemEntries(Path.Combine(_root, DirectoryRepository.IncompleteFolder));

    private List<string> Calls => [.. _incus.Calls];

    /// <summary>Random bytes behind the magic of <paramref name="kind"/>: gzip, zstd, xz, none (a plain tar) or unknown.</summary>
    private static byte[] Archive(string kind, int length = (3 << 20) / 2 + 7)
    {
        var bytes = RandomNumberGenerator.GetBytes(length);
        byte[] magic = kind switch
        {
            "gzip" => [0x1f, 0x8b, 0x08, 0x00],
            "zstd" => [0x28, 0xb5, 0x2f, 0xfd],
            "xz" => [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00],
            "none" => Encoding.ASCII.GetBytes("backup/index.yaml\0"),
            "unknown" => Encoding.ASCII.GetBytes("IB-not-an-archive"),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
        magic.CopyTo(bytes, 0);
        if (kind == "none") "ustar\0"u8.CopyTo(bytes.AsSpan(257));
        return bytes;
    }

    [Fact]
    public async Task RunningInstance_ArchiveIsTheExportByteForByte_ManifestRecordsHowItWasTaken()
    {
        var instance = AddInstance(InstanceStatus.Running, pool: "fast");
        _incus.Snapshots["p/c1"] = ["snap-b", "snap-a", "snap-c"];

        var record = await BackupAsync(Engine(), instance);

        var content = _incus.ExportContent["p/c1"];
        Assert.Equal(content, await ReadArchiveAsync(record));
        Assert.Equal("export.tar.zst", record.ArchiveName);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(content)), record.Sha256);
        Assert.Equal(content.Length, record.Size);
        var manifest = await ManifestAsync(record);
        Assert.Equal("instance", manifest.Kind);
        Assert.Equal("p", manifest.Project);
        Assert.Equal("c1", manifest.Name);
        Assert.Equal("fast", manifest.Pool);
        Assert.Equal("container", manifest.InstanceType);
        Assert.Equal(["snap-b", "snap-a", "snap-c"], manifest.Snapshots);
        Assert.Equal("t", manifest.ToolVersion);
        Assert.Equal("Frozen", manifest.Options.Consistency);
        Assert.Equal("zstd", manifest.Options.Compression);
        Assert.Equal("zstd", manifest.Options.DetectedCompression);
        Assert.Equal("ServerBackup", manifest.Options.ExportMethod);
        Assert.False(manifest.Options.InstanceOnly);
        Assert.False(manifest.Options.Optimized);
        Assert.Equal("6.0.4-memory", manifest.Server.Version);
        Assert.Equal("memory", manifest.Server.Name);
        Assert.Equal("memory://incus", manifest.Server.Endpoint);
        Assert.Equal("c1", manifest.Source?.GetProperty("name").GetString());
        var file = Assert.Single(manifest.Files);
        Assert.Equal(("export.tar.zst", content.Length, record.Sha256), (file.Name, file.Size, file.Sha256));
        Assert.Equal(Path.Combine(_root, "instances", "p", "c1", record.Version), record.Location);
        Assert.Equal(record.Location, Assert.Single(await ListedAsync()).Location);
        Assert.Empty(LeftInIncomplete());
        Assert.Empty(_reporter.Warnings);
        var last = _reporter.ProgressReports[^1];
        Assert.Equal(("p/c1", "Downloading", content.Length, content.Length, 100), (last.Item, last.Phase, last.Bytes, last.TotalBytes, last.Percent));
    }

    [Fact]
    public async Task RunningInstance_FrozenOnlyWhileTheServerWritesTheBackup_ThawedBeforeTheDownload_ServerBackupDeletedAtTheEnd()
    {
        var instance = AddInstance(InstanceStatus.Running);

        await BackupAsync(Engine(traced: true), instance);

        var calls = Calls;
        var name = calls[^1]["delete backup p/c1 ".Length..];
        Assert.StartsWith($"incusbackup-{Environment.ProcessId}-", name, StringComparison.Ordinal);
        Assert.Equal(
            ["freeze p/c1", "request backup p/c1 zstd", "create backup p/c1 zstd", "wait /1.0/operations/op-1", "unfreeze p/c1",
             $"download p/c1 {name}", $"delete backup p/c1 {name}"],
            calls);
        Assert.Empty(_incus.ServerBackups);
        Assert.Equal(InstanceStatus.Running, instance.Status);
    }

    [Theory]
    [InlineData("gzip", "export.tar.gz")]
    [InlineData("zstd", "export.tar.zst")]
    [InlineData("xz", "export.tar.xz")]
    [InlineData("none", "export.tar")]
    [InlineData("unknown", "export.bin")]
    public async Task Archive_IsNamedAfterItsMagicBytes_NotAfterTheCompressionAskedFor(string kind, string archiveName)
    {
        var instance = AddInstance(InstanceStatus.Stopped, compression: kind);

        var record = await BackupAsync(Engine(), instance);

        var manifest = await ManifestAsync(record);
        Assert.Equal(archiveName, record.ArchiveName);
        Assert.Equal(kind, manifest.Options.DetectedCompression);
        Assert.Equal(kind, record.Compression);
        Assert.Equal("zstd", manifest.Options.Compression);
        Assert.Equal(_incus.ExportContent["p/c1"], await ReadArchiveAsync(record));
    }

    [Fact]
    public async Task StoppedInstance_ConsistencyStopped_NeverFrozen()
    {
        var instance = AddInstance(InstanceStatus.Stopped);

        var record = await BackupAsync(Engine(), instance);

        Assert.Equal("Stopped", (await ManifestAsync(record)).Options.Consistency);
        Assert.Equal("Stopped", record.Consistency);
        Assert.DoesNotContain(Calls, c => c.Contains("freeze", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ConsistentOff_RunningInstance_ConsistencyNone_NeverFrozen()
    {
        var instance = AddInstance(InstanceStatus.Running);

        var record = await BackupAsync(Engine(), instance, new BackupOptions { Consistency = ConsistencyMode.None });

        Assert.Equal("None", (await ManifestAsync(record)).Options.Consistency);
        Assert.DoesNotContain(Calls, c => c.Contains("freeze", StringComparison.Ordinal));
        Assert.Equal(InstanceStatus.Running, instance.Status);
    }

    [Fact]
    public async Task FreezeFails_WarnsAndBacksUpLive_ConsistencyNone_BackupStillPublished()
    {
        var instance = AddInstance(InstanceStatus.Running);
        _incus.FailOn = call => call == "freeze p/c1" ? new IncusApiException(500, "cgroup freezer not available") : null;

        var record = await BackupAsync(Engine(), instance);

        var warning = Assert.Single(_reporter.Warnings);
        Assert.Contains("Could not freeze p/c1", warning, StringComparison.Ordinal);
        Assert.Contains("cgroup freezer not available", warning, StringComparison.Ordinal);
        Assert.Equal("None", (await ManifestAsync(record)).Options.Consistency);
        Assert.Single(await ListedAsync());
        Assert.Equal(_incus.ExportContent["p/c1"], await ReadArchiveAsync(record));
        Assert.DoesNotContain(Calls, c => c.Contains("freeze", StringComparison.Ordinal));
        Assert.Equal(InstanceStatus.Running, instance.Status);
        Assert.Empty(_incus.ServerBackups);
    }

    [Fact]
    public async Task RunningInstance_FreezeIsWrittenDownBeforeItHappens_AndCrossedOutAfterTheThaw()
    {
        var instance = AddInstance(InstanceStatus.Running);
        string[]? atFreeze = null;
        _incus.FailOn = call =>
        {
            if (call == "freeze p/c1") atFreeze = [.. Directory.GetFiles(JournalDirectory, "*.json").Select(File.ReadAllText)];
            return null;
        };

        await BackupAsync(Engine(), instance);

        var text = Assert.Single(atFreeze!);
        Assert.Contains("\"project\":\"p\"", text, StringComparison.Ordinal);
        Assert.Contains("\"name\":\"c1\"", text, StringComparison.Ordinal);
        Assert.Contains($"\"pid\":{Environment.ProcessId}", text, StringComparison.Ordinal);
        Assert.Contains("\"server\":\"memory\"", text, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(JournalDirectory));
    }

    [Fact]
    public async Task UnfreezeFails_TheJournalKeepsTheFreeze_ForALaterRunToThaw()
    {
        var instance = AddInstance(InstanceStatus.Running);
        _incus.FailOn = call => call == "unfreeze p/c1" ? new IncusApiException(500, "thaw failed") : null;

        await BackupAsync(Engine(), instance);

        Assert.Single(Directory.GetFiles(JournalDirectory, "*.json"));
    }

    [Fact]
    public async Task ABackupRun_FirstThawsWhatAKilledRunLeftFrozen()
    {
        var instance = AddInstance(InstanceStatus.Frozen);
        FreezeJournalTests.WriteEntry(JournalDirectory, "memory", "p", "c1", FreezeJournalTests.DeadPid(), FreezeJournalTests.CurrentBootId());

        var record = await BackupAsync(Engine(), instance);

        Assert.Equal(InstanceStatus.Running, instance.Status);
        Assert.Contains(_reporter.Warnings, w => w.StartsWith("Thawed p/c1: a backup run (pid ", StringComparison.Ordinal));
        Assert.Empty(Directory.GetFiles(JournalDirectory));
    }

    [Fact]
    public async Task ASnapshotTakenDuringTheExport_TheManifestListsTheSnapshotsInTheArchive()
    {
        // The container export holds snapshot s1; the server had none when the backup started, s1 and s2 when it ended.
        var instance = _incus.AddInstance("p", "c1", InstanceStatus.Stopped);
        _incus.ExportContent["p/c1"] = TestArchives.Compress(TestArchives.Container(), CompressionKind.Gzip);
        _incus.FailOn = call =>
        {
            if (call.StartsWith("create backup p/c1", StringComparison.Ordinal)) _incus.Snapshots["p/c1"] = ["s1", "s2"];
            return null;
        };

        var record = await BackupAsync(Engine(), instance);

        Assert.Equal(["s1"], (await ManifestAsync(record)).Snapshots);
        Assert.Contains(_reporter.VerboseLines, l => l.Contains("changed during the export", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AlreadyFrozenInstance_ConsistencyFrozen_LeftFrozen()
    {
        var instance = AddInstance(InstanceStatus.Frozen);

        var record = await BackupAsync(Engine(), instance);

        Assert.Equal("Frozen", record.Consistency);
        Assert.DoesNotContain(Calls, c => c.Contains("freeze", StringComparison.Ordinal));
        Assert.Equal(InstanceStatus.Frozen, instance.Status);
    }

    [Fact]
    public async Task UnfreezeFails_WarnsHowToRecover_BackupStillPublished()
    {
        var instance = AddInstance(InstanceStatus.Running);
        _incus.FailOn = call => call == "unfreeze p/c1" ? new IncusApiException(500, "thaw failed") : null;

        var record = await BackupAsync(Engine(), instance);

        var warning = Assert.Single(_reporter.Warnings);
        Assert.Contains("Could not unfreeze p/c1", warning, StringComparison.Ordinal);
        Assert.Contains("incus start c1 --project p", warning, StringComparison.Ordinal);
        Assert.Equal("Frozen", record.Consistency);
        Assert.Single(await ListedAsync());
        Assert.Empty(_incus.ServerBackups);
    }

    [Fact]
    public async Task WithoutSnapshots_InstanceOnlyRequested_ManifestHasNoSnapshots()
    {
        var instance = AddInstance(InstanceStatus.Stopped);
        _incus.Snapshots["p/c1"] = ["snap0", "snap1"];

        var record = await BackupAsync(Engine(), instance, new BackupOptions { WithoutSnapshots = true });

        var manifest = await ManifestAsync(record);
        Assert.True(manifest.Options.InstanceOnly);
        Assert.Empty(manifest.Snapshots);
        Assert.True(record.WithoutSnapshots);
        Assert.Empty(record.Snapshots);
        Assert.Contains("create backup p/c1 zstd only", Calls);
    }

    [Fact]
    public async Task ZstdUnsupported_NoCompressionAsked_WarnsAndFallsBackToGzip_NextBackupAsksGzipDirectly()
    {
        var instance = AddInstance(InstanceStatus.Running, compression: "gzip");
        _incus.UnsupportedCompressions.Add("zstd");
        var engine = Engine(traced: true);

        var first = await BackupAsync(engine, instance);

        var warning = Assert.Single(_reporter.Warnings);
        Assert.Contains("zstd", warning, StringComparison.Ordinal);
        Assert.Contains("gzip", warning, StringComparison.Ordinal);
        var manifest = await ManifestAsync(first);
        Assert.Equal("gzip", manifest.Options.Compression);
        Assert.Equal("gzip", manifest.Options.DetectedCompression);
        Assert.Equal("export.tar.gz", first.ArchiveName);
        Assert.Equal(["request backup p/c1 zstd", "request backup p/c1 gzip"], Calls.Where(c => c.StartsWith("request ", StringComparison.Ordinal)));
        // The rejected attempt thawed what it froze.
        Assert.Equal(2, Calls.Count(c => c == "freeze p/c1"));
        Assert.Equal(2, Calls.Count(c => c == "unfreeze p/c1"));

        var before = Calls.Count;
        var second = await BackupAsync(engine, instance);

        Assert.Equal(["request backup p/c1 gzip"], Calls.Skip(before).Where(c => c.StartsWith("request ", StringComparison.Ordinal)));
        Assert.Single(Calls.Skip(before), c => c.StartsWith("create backup", StringComparison.Ordinal));
        Assert.Equal("gzip", (await ManifestAsync(second)).Options.Compression);
        Assert.Single(_reporter.Warnings);
        Assert.Equal(2, (await ListedAsync()).Count);
        Assert.Empty(LeftInIncomplete());
        Assert.Equal(InstanceStatus.Running, instance.Status);
        Assert.Empty(_incus.ServerBackups);
    }

    [Fact]
    public async Task ExplicitCompressionUnsupported_ThrowsCompressionUnsupported_NoFallback_NothingLeftBehind()
    {
        var instance = AddInstance(InstanceStatus.Running);
        _incus.UnsupportedCompressions.Add("xz");

        var e = await Assert.ThrowsAsync<IncusBackupException>(() => BackupAsync(Engine(traced: true), instance, new BackupOptions { Compression = "xz" }));

        Assert.Equal(ErrorIds.CompressionUnsupported, e.ErrorId);
        Assert.Equal(ErrorKind.InvalidArgument, e.Kind);
        Assert.Equal("xz", e.Target);
        Assert.IsType<IncusApiException>(e.InnerException);
        Assert.Equal(["request backup p/c1 xz"], Calls.Where(c => c.StartsWith("request ", StringComparison.Ordinal)));
        Assert.Empty(await ListedAsync());
        Assert.Empty(LeftInIncomplete());
        Assert.Empty(_incus.ServerBackups);
        Assert.Equal(["freeze p/c1", "request backup p/c1 xz", "unfreeze p/c1"], Calls);
        Assert.Equal(InstanceStatus.Running, instance.Status);
    }

    [Fact]
    public async Task DirectBackupExtension_StreamsTheExport_NoServerSideBackup()
    {
        var instance = AddInstance(InstanceStatus.Running);
        _incus.Info.ApiExtensions.Add("direct_backup");

        var record = await BackupAsync(Engine(), instance);

        var manifest = await ManifestAsync(record);
        Assert.Equal("Direct", manifest.Options.ExportMethod);
        Assert.Equal("Frozen", manifest.Options.Consistency);
        Assert.Equal(_incus.ExportContent["p/c1"], await ReadArchiveAsync(record));
        Assert.Equal(["freeze p/c1", "export p/c1 zstd", "unfreeze p/c1"], Calls);
        Assert.Empty(_incus.ServerBackups);
    }

    [Fact]
    public async Task LeftoverOfADeadRun_IsDeletedBeforeTheNewBackup_OthersAreKept()
    {
        var instance = AddInstance(InstanceStatus.Stopped);
        var ours = $"incusbackup-{Environment.ProcessId}-20260101000000-abcdef02";
        _incus.ServerBackups.UnionWith([
            $"p/c1/{DeadPidLeftover}", $"p/c1/{ours}", "p/c1/manual-before-upgrade", "p/c1/incusbackup-999999999", $"p/c2/{DeadPidLeftover}"]);

        await BackupAsync(Engine(), instance);

        var calls = Calls;
        Assert.Equal(0, calls.IndexOf($"delete backup p/c1 {DeadPidLeftover}"));
        Assert.Equal(1, calls.IndexOf("create backup p/c1 zstd"));
        Assert.Equal(
            [$"p/c1/{ours}", "p/c1/incusbackup-999999999", "p/c1/manual-before-upgrade", $"p/c2/{DeadPidLeftover}"],
            _incus.ServerBackups.Order(StringComparer.Ordinal));
        Assert.Contains(_reporter.VerboseLines, l => l.Contains(DeadPidLeftover, StringComparison.Ordinal) && l.Contains("interrupted run", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Volume_RunningUserIsFrozenAndThawed_StoppedUserIsLeftAlone_ManifestDescribesTheVolume()
    {
        var running = _incus.AddInstance("p", "c1", InstanceStatus.Running);
        var stopped = _incus.AddInstance("p", "c2", InstanceStatus.Stopped);
        var volume = _incus.AddVolume("p", "default", "v1");
        _incus.Attach(running, "default", volume);
        _incus.Attach(stopped, "default", volume);
        _incus.Snapshots["p/default/v1"] = ["s2", "s1"];
        _incus.ExportContent["p/default/v1"] = Archive("gzip");

        var record = await Engine().BackupAsync(new VolumeBackupSource("default", volume), new BackupOptions(), _reporter, None);

        Assert.StartsWith("volume.", record.ArchiveName, StringComparison.Ordinal);
        Assert.Equal("volume.tar.gz", record.ArchiveName);
        Assert.Equal(_incus.ExportContent["p/default/v1"], await ReadArchiveAsync(record));
        var manifest = await ManifestAsync(record);
        Assert.Equal("volume", manifest.Kind);
        Assert.Equal(("p", "default", "v1"), (manifest.Project, manifest.Pool, manifest.Name));
        Assert.Equal("filesystem", manifest.InstanceType);
        Assert.Equal(["s2", "s1"], manifest.Snapshots);
        Assert.Equal("Frozen", manifest.Options.Consistency);
        Assert.Equal("v1", manifest.Source?.GetProperty("name").GetString());
        Assert.Equal(Path.Combine(_root, "volumes", "p", "default", "v1", record.Version), record.Location);
        var calls = Calls;
        var name = calls[^1]["delete backup p/default/v1 ".Length..];
        Assert.Equal(["freeze p/c1", "create backup p/default/v1 zstd", "wait /1.0/operations/op-1", "unfreeze p/c1", $"delete backup p/default/v1 {name}"], calls);
        Assert.Equal(InstanceStatus.Running, running.Status);
        Assert.Empty(_incus.ServerBackups);
    }

    [Fact]
    public async Task Volume_WithoutRunningUsers_ConsistencyStopped()
    {
        var volume = _incus.AddVolume("p", "default", "v1");
        _incus.ExportContent["p/default/v1"] = Archive("zstd");

        var record = await Engine().BackupAsync(new VolumeBackupSource("default", volume), new BackupOptions { WithoutSnapshots = true }, _reporter, None);

        Assert.Equal("Stopped", record.Consistency);
        Assert.Equal("volume.tar.zst", record.ArchiveName);
        Assert.Contains("create backup p/default/v1 zstd only", Calls);
    }

    [Fact]
    public async Task EstimateSize_InstanceWithoutDiskUsage_IsTheMinimum()
    {
        var instance = AddInstance(InstanceStatus.Running);

        Assert.Equal(BackupEngine.MinimumFreeBytes, await BackupEngine.EstimateSizeAsync(_incus, new InstanceBackupSource(instance), None));
    }

    [Fact]
    public async Task EstimateSize_Instance_IsWhatItsRootVolumeUses_AndSourcesAreSummed()
    {
        var instance = AddInstance(InstanceStatus.Running, pool: "fast");
        _incus.RootVolumeUsage["p/c1"] = 300L << 20;
        var volume = _incus.AddVolume("p", "default", "v1");

        Assert.Equal(300L << 20, await BackupEngine.EstimateSizeAsync(_incus, new InstanceBackupSource(instance), None));
        Assert.Equal((300L << 20) + (5L << 20),
            await BackupEngine.EstimateSizeAsync(_incus, [new InstanceBackupSource(instance), new VolumeBackupSource("default", volume)], None));
    }

    [Fact]
    public async Task EstimateSize_Volume_IsWhatTheServerReportsInUse()
    {
        var volume = _incus.AddVolume("p", "default", "v1");

        Assert.Equal(5L << 20, await BackupEngine.EstimateSizeAsync(_incus, new VolumeBackupSource("default", volume), None));
    }

    [Theory]
    [InlineData(InstanceStatus.Running)]
    [InlineData(InstanceStatus.Stopped)]
    public async Task CancelledBeforeStart_ThrowsOperationCanceled_NothingLeftInRepositoryOrOnServer(string status)
    {
        var instance = AddInstance(status);
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => BackupAsync(Engine(), instance, ct: cts.Token));

        Assert.Empty(await ListedAsync());
        Assert.Empty(LeftInIncomplete());
        Assert.Empty(_incus.ServerBackups);
        Assert.DoesNotContain(Calls, c => c.Contains("freeze", StringComparison.Ordinal));
        Assert.Equal(status, instance.Status);
    }

    [Fact]
    public async Task CancelledWhileTheServerWritesTheBackup_ThawsDeletesTheServerBackupAndLeavesNothing()
    {
        var instance = AddInstance(InstanceStatus.Running);
        using var cts = new CancellationTokenSource();
        var traced = new TracingIncus(_incus) { OnTrace = line => { if (line.StartsWith("request backup", StringComparison.Ordinal)) cts.Cancel(); } };

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => BackupAsync(Engine(traced), instance, ct: cts.Token));

        var calls = Calls;
        var name = Assert.Single(calls, c => c.StartsWith("delete backup p/c1 ", StringComparison.Ordinal))["delete backup p/c1 ".Length..];
        Assert.Equal(["freeze p/c1", "request backup p/c1 zstd", "create backup p/c1 zstd", "unfreeze p/c1", $"delete backup p/c1 {name}", "wait /1.0/operations/op-1"], calls);
        Assert.Equal(InstanceStatus.Running, instance.Status);
        Assert.Empty(_incus.ServerBackups);
        Assert.Empty(await ListedAsync());
        Assert.Empty(LeftInIncomplete());
    }

    [Fact]
    public async Task CancelledAtTheDownload_DeletesTheServerBackupAndLeavesNothing()
    {
        var instance = AddInstance(InstanceStatus.Running);
        using var cts = new CancellationTokenSource();
        var traced = new TracingIncus(_incus) { OnTrace = line => { if (line.StartsWith("download", StringComparison.Ordinal)) cts.Cancel(); } };

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => BackupAsync(Engine(traced), instance, ct: cts.Token));

        var calls = Calls;
        var name = calls[^1]["delete backup p/c1 ".Length..];
        Assert.Equal(["freeze p/c1", "request backup p/c1 zstd", "create backup p/c1 zstd", "wait /1.0/operations/op-1", "unfreeze p/c1",
            $"download p/c1 {name}", $"delete backup p/c1 {name}"], calls);
        Assert.Equal(InstanceStatus.Running, instance.Status);
        Assert.Empty(_incus.ServerBackups);
        Assert.Empty(await ListedAsync());
        Assert.Empty(LeftInIncomplete());
        Assert.Empty(_reporter.Warnings);
    }
}

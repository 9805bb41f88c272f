using System.Security.Cryptography;
using System.Text.Json;
using IncusBackup.Copy;
using IncusBackup.Errors;
using IncusBackup.Reporting;
using IncusBackup.Repository;
using IncusBackup.Repository.Directory;
using IncusBackup.Tests.Fakes;
using Xunit;

namespace IncusBackup.Tests.Core.Copy;

/// <summary>The copier between two real directory repositories: byte-identical copies, verification on the way, skips and conflicts.</summary>
public sealed class BackupCopierTests : IDisposable
{
    private static readonly DateTime Moment = new(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc);
    private readonly string _sourceRoot = Path.Combine(Path.GetTempPath(), "ib-copy-src-" + Guid.NewGuid().ToString("N"));
    private readonly string _destinationRoot = Path.Combine(Path.GetTempPath(), "ib-copy-dst-" + Guid.NewGuid().ToString("N"));
    private readonly DirectoryRepository _source;
    private readonly DirectoryRepository _destination;
    private readonly RecordingReporter _reporter = new();

    public BackupCopierTests()
    {
        _source = DirectoryRepository.OpenForWrite(_sourceRoot, "1.2.3");
        _destination = DirectoryRepository.OpenForWrite(_destinationRoot, "1.2.3");
    }

    public void Dispose()
    {
        foreach (var root in new[] { _sourceRoot, _destinationRoot })
            if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
    }

    /// <summary>
    /// A backup as the engines write one, with everything a manifest carries (server, options, snapshots, the source
    /// object, a creation time to the tick, a run id), so that a copy which rewrote the manifest would show.
    /// </summary>
    private static async Task<BackupRecord> PublishAsync(IBackupRepository repository, string name, params (string Name, byte[] Content)[] files)
    {
        using var staged = repository.BeginBackup(new ResourceKey(BackupKind.Instance, "shop", null, name));
        foreach (var (fileName, content) in files)
        {
            await using var file = staged.CreateFile(fileName);
            await file.WriteAsync(content);
        }
        var manifest = new BackupManifest
        {
            Kind = "instance", Project = "shop", Pool = "default", Name = name,
            CreatedAt = new DateTimeOffset(Moment).AddTicks(1_234_567), CompletedAt = new DateTimeOffset(Moment).AddSeconds(3),
            ToolVersion = "1.2.3", RunId = "20260102T030400Z",
            Server = new ManifestServer { Version = "6.0.4", Name = "host1", Endpoint = "unix:///var/lib/incus/unix.socket" },
            Options = new ManifestOptions { Consistency = "Frozen", Compression = "zstd", DetectedCompression = "zstd", ExportMethod = "Direct" },
            InstanceType = "container",
            Snapshots = ["before-upgrade"],
            Source = JsonDocument.Parse("""{"name": "web", "config": {"user.note": "caf\u00e9 <&>", "limits.cpu": "2"}, "devices": {}}""").RootElement,
            Files = [.. files.Select(f => new ManifestFile { Name = f.Name, Size = f.Content.Length, Sha256 = Convert.ToHexStringLower(SHA256.HashData(f.Content)) })],
        };
        return await staged.PublishAsync(manifest, BackupVersion.At(Moment), CancellationToken.None);
    }

    private static async Task<List<BackupRecord>> ListAsync(IBackupRepository repository) =>
        [.. (await repository.ListAsync(null, CancellationToken.None)).Records];

    private async Task<BackupCopier> CopierAsync() => new(_destination, await ListAsync(_destination));

    private static string[] FilesOf(string folder) => [.. Directory.GetFiles(folder).Select(Path.GetFileName).Order(StringComparer.Ordinal)!];

    [Fact]
    public async Task Copy_WritesTheSameFilesAndTheSameSeal_ByteForByte_AtTheSameVersion()
    {
        // Larger than the read buffer and the held-back tail, so the file goes through in several reads.
        var archive = RandomNumberGenerator.GetBytes(3 * (1 << 20) + 12_345);
        var source = await PublishAsync(_source, "web", ("export.tar.zst", archive));

        var outcome = await (await CopierAsync()).CopyAsync(_source, source, _reporter, CancellationToken.None);

        Assert.True(outcome.Copied);
        var copy = Assert.Single(await ListAsync(_destination));
        Assert.Equal(Path.Combine(_destinationRoot, "instances", "shop", "web", source.Version), copy.Location);
        Assert.Equal("dir:" + _destinationRoot, copy.Repository);
        Assert.Equal(copy.Location, outcome.Record.Location);
        Assert.Equal((source.Kind, source.Project, source.Pool, source.Name, source.Version, source.Timestamp, source.Sha256, source.Size, source.RunId, source.ArchiveName),
            (copy.Kind, copy.Project, copy.Pool, copy.Name, copy.Version, copy.Timestamp, copy.Sha256, copy.Size, copy.RunId, copy.ArchiveName));
        Assert.Equal(FilesOf(source.Location), FilesOf(copy.Location));
        foreach (var file in FilesOf(source.Location))
            Assert.True(File.ReadAllBytes(Path.Combine(source.Location, file)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(copy.Location, file))), $"{file} differs");
        Assert.Contains(_reporter.ProgressReports, p => p.Bytes == archive.Length && p.TotalBytes == archive.Length);
    }

    [Fact]
    public async Task Copy_OfABackupOfSeveralFiles_CopiesEveryFileTheSealLists()
    {
        var first = RandomNumberGenerator.GetBytes(70_000);
        var second = RandomNumberGenerator.GetBytes(10);
        var source = await PublishAsync(_source, "img", ("meta.tar.xz", first), ("rootfs.squashfs", second));

        var outcome = await (await CopierAsync()).CopyAsync(_source, source, _reporter, CancellationToken.None);

        Assert.Equal(first, File.ReadAllBytes(Path.Combine(outcome.Record.Location, "meta.tar.xz")));
        Assert.Equal(second, File.ReadAllBytes(Path.Combine(outcome.Record.Location, "rootfs.squashfs")));
        Assert.Equal(File.ReadAllBytes(Path.Combine(source.Location, BackupSeal.ChecksumsFile)), File.ReadAllBytes(Path.Combine(outcome.Record.Location, BackupSeal.ChecksumsFile)));
        Assert.Equal(first.Length + second.Length, outcome.Record.Size);
    }

    public static TheoryData<string> Damages => ["flip", "truncate", "append"];

    [Theory]
    [MemberData(nameof(Damages))]
    public async Task Copy_OfADamagedArchive_IsChecksumMismatch_AndLeavesNothingInTheDestination(string damage)
    {
        var archive = RandomNumberGenerator.GetBytes(200_000);
        var source = await PublishAsync(_source, "web", ("export.tar.zst", archive));
        var path = Path.Combine(source.Location, "export.tar.zst");
        var damaged = damage switch
        {
            "flip" => archive.Select((b, i) => i == 100_000 ? (byte)(b ^ 1) : b).ToArray(),
            "truncate" => archive[..150_000],
            _ => [.. archive, 0],
        };
        File.WriteAllBytes(path, damaged);

        var copier = await CopierAsync();
        var e = await Assert.ThrowsAsync<IncusBackupException>(() => copier.CopyAsync(_source, source, _reporter, CancellationToken.None));

        Assert.Equal(ErrorIds.ChecksumMismatch, e.ErrorId);
        Assert.Contains("Test-IncusBackup", e.RecommendedAction);
        Assert.Empty(await ListAsync(_destination));
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(_destinationRoot, DirectoryRepository.IncompleteFolder)));
        Assert.False(Directory.Exists(Path.Combine(_destinationRoot, "instances", "shop", "web", source.Version)));
    }

    [Fact]
    public async Task Copy_OfABackupTheDestinationHoldsAlready_IsSkipped_AndGivesTheDestinationsRecord()
    {
        var source = await PublishAsync(_source, "web", ("export.tar.zst", RandomNumberGenerator.GetBytes(5000)));
        var first = await (await CopierAsync()).CopyAsync(_source, source, _reporter, CancellationToken.None);
        var written = Directory.GetLastWriteTimeUtc(first.Record.Location);
        var manifestWritten = File.GetLastWriteTimeUtc(Path.Combine(first.Record.Location, BackupSeal.ManifestFile));

        var copier = await CopierAsync();
        Assert.Equal(first.Record.Location, copier.Existing(source)?.Location);
        var again = await copier.CopyAsync(_source, source, _reporter, CancellationToken.None);

        Assert.False(again.Copied);
        Assert.Equal(first.Record.Location, again.Record.Location);
        Assert.Equal("dir:" + _destinationRoot, again.Record.Repository);
        Assert.Single(await ListAsync(_destination));
        Assert.Equal(written, Directory.GetLastWriteTimeUtc(first.Record.Location));
        Assert.Equal(manifestWritten, File.GetLastWriteTimeUtc(Path.Combine(first.Record.Location, BackupSeal.ManifestFile)));
        Assert.Contains(_reporter.VerboseLines, l => l.Contains("already in dir:" + _destinationRoot, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Copy_OverADifferentBackupAtTheSameVersion_IsBackupVersionConflict_AndOverwritesNothing()
    {
        var source = await PublishAsync(_source, "web", ("export.tar.zst", RandomNumberGenerator.GetBytes(5000)));
        var other = RandomNumberGenerator.GetBytes(4000);
        var theirs = await PublishAsync(_destination, "web", ("export.tar.zst", other));
        Assert.Equal(source.Version, theirs.Version);

        var copier = await CopierAsync();
        Assert.Equal(ErrorIds.BackupVersionConflict, Assert.Throws<IncusBackupException>(() => copier.Existing(source)).ErrorId);
        var e = await Assert.ThrowsAsync<IncusBackupException>(() => copier.CopyAsync(_source, source, _reporter, CancellationToken.None));

        Assert.Equal(ErrorIds.BackupVersionConflict, e.ErrorId);
        Assert.Contains(source.Version, e.Message);
        var listed = Assert.Single(await ListAsync(_destination));
        Assert.Equal(theirs.Sha256, listed.Sha256);
        Assert.Equal(other, File.ReadAllBytes(Path.Combine(theirs.Location, "export.tar.zst")));
    }

    [Fact]
    public async Task Copy_WhenAnotherRunPublishedTheVersionSinceTheListing_SkipsTheSameBackup_AndRefusesAnother()
    {
        var source = await PublishAsync(_source, "web", ("export.tar.zst", RandomNumberGenerator.GetBytes(5000)));
        var stale = new BackupCopier(_destination, []);
        // The same backup, copied by another run after this one listed the destination.
        await new BackupCopier(_destination, []).CopyAsync(_source, source, _reporter, CancellationToken.None);

        var outcome = await stale.CopyAsync(_source, source, _reporter, CancellationToken.None);

        Assert.False(outcome.Copied);
        Assert.Single(await ListAsync(_destination));
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(_destinationRoot, DirectoryRepository.IncompleteFolder)));

        // Another backup at that version, written after the listing: the publish itself refuses to take its place.
        var other = await PublishAsync(_source, "db", ("export.tar.zst", RandomNumberGenerator.GetBytes(100)));
        await PublishAsync(_destination, "db", ("export.tar.zst", RandomNumberGenerator.GetBytes(100)));
        var e = await Assert.ThrowsAsync<IncusBackupException>(() => new BackupCopier(_destination, []).CopyAsync(_source, other, _reporter, CancellationToken.None));
        Assert.Equal(ErrorIds.BackupVersionConflict, e.ErrorId);
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(_destinationRoot, DirectoryRepository.IncompleteFolder)));
    }

    [Fact]
    public async Task Copy_OfAProtectedBackup_IsProtectedToo()
    {
        var source = await PublishAsync(_source, "web", ("export.tar.zst", RandomNumberGenerator.GetBytes(100)));
        source = await _source.SetProtectedAsync(source, protect: true, CancellationToken.None);

        var outcome = await (await CopierAsync()).CopyAsync(_source, source, _reporter, CancellationToken.None);

        Assert.True(outcome.Record.Protected);
        Assert.True(Assert.Single(await ListAsync(_destination)).Protected);
    }

    [Fact]
    public async Task Copy_Cancelled_LeavesNothingInTheDestination()
    {
        var source = await PublishAsync(_source, "web", ("export.tar.zst", RandomNumberGenerator.GetBytes(10 << 20)));
        using var cts = new CancellationTokenSource();
        var reporter = new CancellingReporter(cts);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => new BackupCopier(_destination, []).CopyAsync(_source, source, reporter, cts.Token));

        Assert.Empty(await ListAsync(_destination));
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(_destinationRoot, DirectoryRepository.IncompleteFolder)));
    }

    /// <summary>Stops the copy (as Ctrl+C does) at its first progress report, part-way through the archive.</summary>
    private sealed class CancellingReporter(CancellationTokenSource cts) : IReporter
    {
        public void Verbose(string message)
        {
        }

        public void Warning(string message)
        {
        }

        public void Progress(ItemProgress progress)
        {
            if (progress.Bytes < progress.TotalBytes) cts.Cancel();
        }
    }
}

using System.Diagnostics;
using System.Security.Cryptography;
using IncusBackup.Configuration;
using IncusBackup.Errors;
using IncusBackup.Repository;
using IncusBackup.Repository.Directory;
using Xunit;

namespace IncusBackup.Tests.Core.Repository;

/// <summary>The directory backend through the repository interface: staging, publishing, listing, reading, removing, locking.</summary>
public sealed class DirectoryRepositoryTests : IDisposable
{
    private static readonly DateTime Moment = new(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc);
    private readonly string _root = Path.Combine(Path.GetTempPath(), "ib-repo-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    private DirectoryRepository Open() => DirectoryRepository.OpenForWrite(_root, "1.2.3");

    internal static async Task<BackupRecord> PublishAsync(IBackupRepository repo, string name, byte[] content, DateTime? at = null,
        BackupKind kind = BackupKind.Instance, string? pool = null)
    {
        using var staged = repo.BeginBackup(new ResourceKey(kind, "default", pool, name));
        await using (var file = staged.CreateFile("export.tar.gz"))
            await file.WriteAsync(content);
        var manifest = new BackupManifest
        {
            Kind = kind.ToString().ToLowerInvariant(), Project = "default", Pool = pool, Name = name,
            Options = new ManifestOptions { DetectedCompression = "gzip" },
            Files = [new ManifestFile { Name = "export.tar.gz", Size = content.Length, Sha256 = Convert.ToHexStringLower(SHA256.HashData(content)) }],
        };
        return await staged.PublishAsync(manifest, BackupVersion.At(at ?? Moment), CancellationToken.None);
    }

    private static async Task<List<BackupRecord>> ListAsync(IBackupRepository repo, BackupKind? kind = null) =>
        [.. (await repo.ListAsync(kind, CancellationToken.None)).Records];

    [Fact]
    public async Task Listing_ReadsResourcesInParallel_ButKeepsResourceThenVersionOrder()
    {
        var repo = Open();
        foreach (var (name, day) in new[] { ("web", 3), ("db", 2), ("web", 1), ("app", 5), ("db", 1), ("web", 2) })
            await PublishAsync(repo, name, [(byte)day], Moment.AddDays(day));
        await PublishAsync(repo, "v1", [1], Moment, BackupKind.Volume, pool: "default");

        var listed = await ListAsync(repo);

        Assert.Equal(["app@20260107T030405Z", "db@20260103T030405Z", "db@20260104T030405Z", "web@20260103T030405Z", "web@20260104T030405Z", "web@20260105T030405Z", "v1@20260102T030405Z"],
            listed.Select(r => $"{r.Name}@{r.Version}"));
    }

    [Fact]
    public async Task Listing_ReadsAManifestLargerThanItsReadBuffer_AndSkipsTheSourceObject()
    {
        var repo = Open();
        var record = await PublishAsync(repo, "web", [1, 2, 3]);
        var manifestPath = Path.Combine(record.Location, BackupSeal.ManifestFile);
        var manifest = BackupSeal.ParseManifest(File.ReadAllBytes(manifestPath), "test");
        var big = new string('x', 100_000);
        manifest.Source = System.Text.Json.JsonDocument.Parse("{\"config\": {\"user.big\": \"" + big + "\"}, \"devices\": {\"eth0\": {\"type\": \"nic\"}}}").RootElement;
        File.WriteAllBytes(manifestPath, System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(manifest, RepositoryJsonContext.Default.BackupManifest));

        var listing = await repo.ListAsync(null, CancellationToken.None);

        Assert.Empty(listing.Problems);
        var listed = Assert.Single(listing.Records);
        Assert.Equal((record.Name, record.Version, record.Sha256, record.Size), (listed.Name, listed.Version, listed.Sha256, listed.Size));
    }

    [Fact]
    public async Task Publish_WritesPrivateFilesAndChecksumsThatSha256sumAccepts()
    {
        var repo = Open();
        var content = RandomNumberGenerator.GetBytes(10_000);

        var record = await PublishAsync(repo, "web", content);

        Assert.Equal(Path.Combine(_root, "instances", "default", "web", "20260102T030405Z"), record.Location);
        Assert.Equal("export.tar.gz", record.ArchiveName);
        Assert.Equal("dir:" + _root, record.Repository);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(content)), record.Sha256);
        Assert.Equal(content.Length, record.Size);
        Assert.True(File.Exists(Path.Combine(_root, "metadata.json")));
        foreach (var dir in new[] { _root, Path.Combine(_root, "instances"), Path.Combine(_root, "instances", "default", "web"), record.Location })
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(dir));
        foreach (var file in Directory.GetFiles(record.Location))
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));

        var check = Process.Start(new ProcessStartInfo("sha256sum", "-c checksums.txt") { WorkingDirectory = record.Location, RedirectStandardOutput = true })!;
        var output = await check.StandardOutput.ReadToEndAsync();
        await check.WaitForExitAsync();
        Assert.Equal(0, check.ExitCode);
        Assert.Contains("export.tar.gz: OK", output);
        Assert.Contains("manifest.json: OK", output);
    }

    [Fact]
    public async Task TwoBackupsInTheSameSecond_AreBothKept_AndReadBackThroughTheRepository()
    {
        var repo = Open();
        var first = await PublishAsync(repo, "web", [1, 2, 3]);
        var second = await PublishAsync(repo, "web", [4, 5, 6]);

        Assert.Equal("20260102T030405Z", first.Version);
        Assert.Equal("20260102T030405Z-2", second.Version);
        Assert.Equal(["20260102T030405Z", "20260102T030405Z-2"], (await ListAsync(repo)).Select(r => r.Version));
        await using var stream = await repo.OpenReadAsync(second, second.ArchiveName, CancellationToken.None);
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy);
        Assert.Equal([4, 5, 6], copy.ToArray());
    }

    [Fact]
    public async Task UnpublishedBackup_IsNeverListed_AndDisposeRemovesIt()
    {
        var repo = Open();
        string folder;
        using (var staged = (DirectoryStagedBackup)repo.BeginBackup(new ResourceKey(BackupKind.Instance, "default", null, "web")))
        {
            folder = staged.Folder;
            await using var file = staged.CreateFile("export.tar.gz");
            await file.WriteAsync(new byte[] { 1 });
            Assert.Empty(await ListAsync(repo));
        }
        Assert.False(Directory.Exists(folder));
        Assert.Empty(await ListAsync(repo));
    }

    [Fact]
    public void CleanupLeftovers_RemovesFoldersOfDeadRunsOnly()
    {
        var repo = Open();
        var dead = Path.Combine(_root, DirectoryRepository.IncompleteFolder, "999999999-abc");
        var alive = Path.Combine(_root, DirectoryRepository.IncompleteFolder, $"{Environment.ProcessId}-abc");
        Directory.CreateDirectory(dead);
        Directory.CreateDirectory(alive);

        Assert.Equal(1, repo.CleanupLeftovers());
        Assert.False(Directory.Exists(dead));
        Assert.True(Directory.Exists(alive));
    }

    [Fact]
    public async Task List_SkipsFoldersThatAreNotVersions_ReportsDamagedOnes_AndVolumesCarryTheirPool()
    {
        var repo = Open();
        await PublishAsync(repo, "data", [1], kind: BackupKind.Volume, pool: "fast");
        Directory.CreateDirectory(Path.Combine(_root, "instances", "default", "web", "not-a-version"));
        Directory.CreateDirectory(Path.Combine(_root, "instances", "default", "web", "20260102T030405Z")); // no manifest
        Directory.CreateDirectory(Path.Combine(_root, "instances", "default", "db", "20260102T030405Z"));
        File.WriteAllText(Path.Combine(_root, "instances", "default", "db", "20260102T030405Z", "manifest.json"), "{ not json");

        var listing = await repo.ListAsync(null, CancellationToken.None);

        var record = Assert.Single(listing.Records);
        Assert.Equal(BackupKind.Volume, record.Kind);
        Assert.Equal("fast", record.Pool);
        Assert.Equal(Path.Combine(_root, "volumes", "default", "fast", "data", "20260102T030405Z"), record.Location);
        Assert.Equal(2, listing.Problems.Count);
        Assert.Contains(listing.Problems, p => p.Contains("web", StringComparison.Ordinal) && p.Contains("has no manifest.json", StringComparison.Ordinal));
        Assert.Contains(listing.Problems, p => p.Contains("db", StringComparison.Ordinal) && p.Contains("not valid", StringComparison.Ordinal));
        Assert.Empty(await ListAsync(repo, BackupKind.Instance));
    }

    [Theory]
    [InlineData("..")]
    [InlineData(".")]
    [InlineData("a/b")]
    [InlineData(".hidden")]
    [InlineData("")]
    public void NamesThatWouldEscapeTheRepository_AreRejected(string name)
    {
        var repo = Open();
        var e1 = Assert.Throws<IncusBackupException>(() => repo.BeginBackup(new ResourceKey(BackupKind.Instance, "default", null, name)));
        var e2 = Assert.Throws<IncusBackupException>(() => repo.BeginBackup(new ResourceKey(BackupKind.Volume, name, "pool", "web")));
        var e3 = Assert.Throws<IncusBackupException>(() => repo.BeginBackup(new ResourceKey(BackupKind.Volume, "default", name, "web")));
        Assert.All(new[] { e1, e2, e3 }, e => Assert.Equal(ErrorIds.InvalidName, e.ErrorId));
    }

    [Fact]
    public async Task OpenRead_RefusesRecordsThatPointOutsideTheRepository_AndNamesMissingFiles()
    {
        var repo = Open();
        var record = await PublishAsync(repo, "web", [1]);
        var forged = new BackupRecord
        {
            Kind = record.Kind, Project = record.Project, Name = record.Name, Version = record.Version, Timestamp = record.Timestamp,
            Compression = record.Compression, Sha256 = record.Sha256, ArchiveName = record.ArchiveName, Repository = record.Repository,
            Location = "/etc",
        };

        var outside = await Assert.ThrowsAsync<IncusBackupException>(() => repo.OpenReadAsync(forged, "passwd", CancellationToken.None));
        var escape = await Assert.ThrowsAsync<IncusBackupException>(() => repo.OpenReadAsync(record, "../../x", CancellationToken.None));
        var missing = await Assert.ThrowsAsync<IncusBackupException>(() => repo.OpenReadAsync(record, "nothing.bin", CancellationToken.None));

        Assert.Equal(ErrorIds.BackupNotFound, outside.ErrorId);
        Assert.Equal(ErrorIds.InvalidName, escape.ErrorId);
        Assert.Equal(ErrorIds.BackupFileMissing, missing.ErrorId);
        Assert.Contains("nothing.bin", missing.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Remove_TakesTheBackupOutOfTheListingAndOffTheDisk()
    {
        var repo = Open();
        var first = await PublishAsync(repo, "web", [1]);
        var second = await PublishAsync(repo, "web", [2]);

        await repo.RemoveAsync(first, CancellationToken.None);

        Assert.Equal([second.Version], (await ListAsync(repo)).Select(r => r.Version));
        Assert.False(Directory.Exists(first.Location));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(_root, DirectoryRepository.IncompleteFolder)));
        var again = await Assert.ThrowsAsync<IncusBackupException>(() => repo.RemoveAsync(first, CancellationToken.None));
        Assert.Equal(ErrorIds.BackupNotFound, again.ErrorId);
    }

    [Fact]
    public void Lock_SharedHoldsCoexist_ExclusiveWaitsForNone()
    {
        var repo = Open();
        using (repo.Lock(RepositoryLockMode.Shared))
        using (repo.Lock(RepositoryLockMode.Shared))
        {
            var e = Assert.Throws<IncusBackupException>(() => repo.Lock(RepositoryLockMode.Exclusive));
            Assert.Equal(ErrorIds.RepositoryLocked, e.ErrorId);
        }
        using (repo.Lock(RepositoryLockMode.Exclusive))
        {
            var e = Assert.Throws<IncusBackupException>(() => repo.Lock(RepositoryLockMode.Shared));
            Assert.Equal(ErrorIds.RepositoryLocked, e.ErrorId);
        }
    }

    [Fact]
    public void OpenForWrite_OnAFile_GivesTargetNotWritable()
    {
        File.WriteAllText(_root, "x");
        try
        {
            var e = Assert.Throws<IncusBackupException>(() => DirectoryRepository.OpenForWrite(_root, "1"));
            Assert.Equal(ErrorIds.TargetNotWritable, e.ErrorId);
        }
        finally
        {
            File.Delete(_root);
        }
    }

    [Fact]
    public void OpenExisting_OnAMissingFolder_GivesTargetNotFound()
    {
        var e = Assert.Throws<IncusBackupException>(() => RepositoryFactory.OpenForRead(new RepositoryTarget("dir", _root, "test")));
        Assert.Equal(ErrorIds.TargetNotFound, e.ErrorId);
    }

    [Fact]
    public async Task TheFactory_OpensTheRepositoryARecordCameFrom()
    {
        var record = await PublishAsync(RepositoryFactory.OpenForWrite(new RepositoryTarget("dir", _root, "test"), "1"), "web", [7]);

        var again = RepositoryFactory.OpenForRead(record);

        Assert.Equal("dir:" + _root, again.Target);
        Assert.Equal(record.Location, Assert.Single(await ListAsync(again)).Location);
    }

    [Fact]
    public void EnsureFreeSpace_RefusesMoreThanTheDiskHas()
    {
        var repo = Open();
        var e = Assert.Throws<IncusBackupException>(() => repo.EnsureFreeSpace(long.MaxValue / 2, "test"));
        Assert.Equal(ErrorIds.TargetInsufficientSpace, e.ErrorId);
        repo.EnsureFreeSpace(1, "test");
    }
}

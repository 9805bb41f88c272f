using System.Diagnostics;
using System.Security.Cryptography;
using IncusBackup.Errors;
using IncusBackup.Repository;
using Xunit;

namespace IncusBackup.Tests.Core;

public sealed class DirectoryRepositoryTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "ib-repo-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    private static readonly DateTime Moment = new(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc);

    private BackupRecord Publish(DirectoryRepository repo, string name, byte[] content, DateTime? at = null, BackupKind kind = BackupKind.Instance, string? pool = null)
    {
        using var staged = repo.BeginBackup(kind, "default", pool, name);
        string sha;
        using (var writer = staged.CreateFile("export.tar.gz"))
        {
            writer.WriteAsync(content, CancellationToken.None).AsTask().GetAwaiter().GetResult();
            sha = writer.Complete();
        }
        var manifest = new BackupManifest
        {
            Kind = kind.ToString().ToLowerInvariant(), Project = "default", Pool = pool, Name = name,
            Options = new ManifestOptions { DetectedCompression = "gzip" },
            Files = [new ManifestFile { Name = "export.tar.gz", Size = content.Length, Sha256 = sha }],
        };
        return staged.Publish(manifest, BackupVersion.At(at ?? Moment));
    }

    [Fact]
    public void Publish_WritesPrivateFilesAndChecksumsThatSha256sumAccepts()
    {
        var repo = DirectoryRepository.OpenForWrite(_root, "1.2.3");
        var content = RandomNumberGenerator.GetBytes(10_000);

        var record = Publish(repo, "web", content);

        Assert.Equal(Path.Combine(_root, "instances", "default", "web", "20260102T030405Z"), record.Path);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(content)), record.Sha256);
        Assert.Equal(content.Length, record.Size);
        Assert.True(File.Exists(Path.Combine(_root, "metadata.json")));
        foreach (var dir in new[] { _root, Path.Combine(_root, "instances"), Path.Combine(_root, "instances", "default", "web"), record.Path })
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(dir));
        foreach (var file in Directory.GetFiles(record.Path))
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));

        var check = Process.Start(new ProcessStartInfo("sha256sum", "-c checksums.txt") { WorkingDirectory = record.Path, RedirectStandardOutput = true })!;
        var output = check.StandardOutput.ReadToEnd();
        check.WaitForExit();
        Assert.Equal(0, check.ExitCode);
        Assert.Contains("export.tar.gz: OK", output);
        Assert.Contains("manifest.json: OK", output);
    }

    [Fact]
    public void TwoBackupsInTheSameSecond_AreBothKept()
    {
        var repo = DirectoryRepository.OpenForWrite(_root, "1.2.3");
        var first = Publish(repo, "web", [1, 2, 3]);
        var second = Publish(repo, "web", [4, 5, 6]);

        Assert.Equal("20260102T030405Z", first.Version);
        Assert.Equal("20260102T030405Z-2", second.Version);
        Assert.Equal(["20260102T030405Z", "20260102T030405Z-2"], repo.List().Select(r => r.Version));
        Assert.Equal([4, 5, 6], File.ReadAllBytes(second.File));
    }

    [Fact]
    public async Task UnpublishedBackup_IsNeverListed_AndDisposeRemovesIt()
    {
        var repo = DirectoryRepository.OpenForWrite(_root, "1.2.3");
        string folder;
        using (var staged = repo.BeginBackup(BackupKind.Instance, "default", null, "web"))
        {
            folder = staged.Folder;
            using var writer = staged.CreateFile("export.tar.gz");
            await writer.WriteAsync(new byte[] { 1 }, CancellationToken.None);
            Assert.Empty(repo.List());
        }
        Assert.False(Directory.Exists(folder));
        Assert.Empty(repo.List());
    }

    [Fact]
    public void CleanupStale_RemovesFoldersOfDeadRunsOnly()
    {
        var repo = DirectoryRepository.OpenForWrite(_root, "1.2.3");
        var dead = Path.Combine(_root, DirectoryRepository.IncompleteFolder, "999999999-abc");
        var alive = Path.Combine(_root, DirectoryRepository.IncompleteFolder, $"{Environment.ProcessId}-abc");
        Directory.CreateDirectory(dead);
        Directory.CreateDirectory(alive);

        Assert.Equal(1, repo.CleanupStale());
        Assert.False(Directory.Exists(dead));
        Assert.True(Directory.Exists(alive));
    }

    [Fact]
    public void List_SkipsFoldersThatAreNotVersions_AndVolumesCarryTheirPool()
    {
        var repo = DirectoryRepository.OpenForWrite(_root, "1.2.3");
        Publish(repo, "data", [1], kind: BackupKind.Volume, pool: "fast");
        Directory.CreateDirectory(Path.Combine(_root, "instances", "default", "web", "not-a-version"));
        Directory.CreateDirectory(Path.Combine(_root, "instances", "default", "web", "20260102T030405Z")); // no manifest: incomplete

        var record = Assert.Single(repo.List());
        Assert.Equal(BackupKind.Volume, record.Kind);
        Assert.Equal("fast", record.Pool);
        Assert.Equal(Path.Combine(_root, "volumes", "default", "fast", "data", "20260102T030405Z"), record.Path);
        Assert.Empty(repo.List(BackupKind.Instance));
    }

    [Theory]
    [InlineData("..")]
    [InlineData(".")]
    [InlineData("a/b")]
    [InlineData(".hidden")]
    [InlineData("")]
    public void NamesThatWouldEscapeTheRepository_AreRejected(string name)
    {
        var repo = DirectoryRepository.OpenForWrite(_root, "1.2.3");
        var e1 = Assert.Throws<IncusBackupException>(() => repo.ResourceFolder(BackupKind.Instance, "default", null, name));
        var e2 = Assert.Throws<IncusBackupException>(() => repo.ResourceFolder(BackupKind.Instance, name, null, "web"));
        Assert.Equal(ErrorIds.InvalidName, e1.ErrorId);
        Assert.Equal(ErrorIds.InvalidName, e2.ErrorId);
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
        var e = Assert.Throws<IncusBackupException>(() => DirectoryRepository.OpenExisting(_root));
        Assert.Equal(ErrorIds.TargetNotFound, e.ErrorId);
    }

    [Fact]
    public void EnsureFreeSpace_RefusesMoreThanTheDiskHas()
    {
        var repo = DirectoryRepository.OpenForWrite(_root, "1");
        var e = Assert.Throws<IncusBackupException>(() => repo.EnsureFreeSpace(long.MaxValue / 2, "test"));
        Assert.Equal(ErrorIds.TargetInsufficientSpace, e.ErrorId);
        repo.EnsureFreeSpace(1, "test");
    }

    [Fact]
    public async Task HashingFileWriter_ResetStartsOver()
    {
        Directory.CreateDirectory(_root);
        var path = Path.Combine(_root, "f");
        using var writer = new HashingFileWriter(path);
        await writer.WriteAsync(new byte[] { 9, 9, 9 }, CancellationToken.None);
        writer.Reset();
        await writer.WriteAsync(new byte[] { 1, 2 }, CancellationToken.None);
        var sha = writer.Complete();
        writer.Dispose();
        Assert.Equal([1, 2], File.ReadAllBytes(path));
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(new byte[] { 1, 2 })), sha);
    }
}

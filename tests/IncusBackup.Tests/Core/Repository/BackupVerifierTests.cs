using System.Security.Cryptography;
using IncusBackup.Errors;
using IncusBackup.Repository;
using IncusBackup.Repository.Directory;
using IncusBackup.Tests.Infrastructure;
using Xunit;

namespace IncusBackup.Tests.Core.Repository;

/// <summary>Checking a stored backup before a restore: its seal, then every byte of its files.</summary>
public sealed class BackupVerifierTests : IDisposable
{
    private readonly TempDirectory _root = new();
    private readonly DirectoryRepository _repo;

    public BackupVerifierTests()
    {
        _repo = DirectoryRepository.OpenForWrite(_root.Combine("repo"), "1.2.3");
    }

    public void Dispose() => _root.Dispose();

    private static async Task<(BackupRecord Record, BackupSeal Seal)> ReadAsync(IBackupRepository repo, BackupRecord record) =>
        (record, await BackupVerifier.ReadSealAsync(repo, record, CancellationToken.None));

    [Fact]
    public async Task PublishedBackup_Verifies_AndReportsTheRunningByteTotal()
    {
        // Larger than the verifier's 1 MiB buffer, so the total arrives in several steps.
        var content = RandomNumberGenerator.GetBytes((2 << 20) + 12345);
        var record = await DirectoryRepositoryTests.PublishAsync(_repo, "web", content);
        var totals = new List<long>();

        var seal = await BackupVerifier.ReadSealAsync(_repo, record, CancellationToken.None);
        await BackupVerifier.VerifyFilesAsync(_repo, record, seal, totals.Add, CancellationToken.None);

        Assert.Equal("web", seal.Manifest.Name);
        Assert.Equal(["export.tar.gz"], seal.DataFiles.Select(f => f.Key));
        Assert.True(totals.Count >= 3, $"{totals.Count} reports");
        Assert.Equal(totals.Order(), totals);
        Assert.Equal(content.Length, totals[^1]);
    }

    [Fact]
    public async Task SeveralFiles_TheTotalRunsOnAcrossThem()
    {
        var first = RandomNumberGenerator.GetBytes(5000);
        var second = RandomNumberGenerator.GetBytes(7000);
        BackupRecord record;
        using (var staged = _repo.BeginBackup(new ResourceKey(BackupKind.Volume, "default", "fast", "data")))
        {
            await using (var file = staged.CreateFile("part1.bin")) await file.WriteAsync(first);
            await using (var file = staged.CreateFile("part2.bin")) await file.WriteAsync(second);
            var manifest = new BackupManifest
            {
                Kind = "volume", Project = "default", Pool = "fast", Name = "data",
                Files =
                [
                    new ManifestFile { Name = "part1.bin", Size = first.Length, Sha256 = Convert.ToHexStringLower(SHA256.HashData(first)) },
                    new ManifestFile { Name = "part2.bin", Size = second.Length, Sha256 = Convert.ToHexStringLower(SHA256.HashData(second)) },
                ],
            };
            record = await staged.PublishAsync(manifest, BackupVersion.At(new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc)), CancellationToken.None);
        }
        var totals = new List<long>();

        var (_, seal) = await ReadAsync(_repo, record);
        await BackupVerifier.VerifyFilesAsync(_repo, record, seal, totals.Add, CancellationToken.None);

        Assert.Equal(first.Length + second.Length, totals[^1]);
        Assert.Equal(totals.Order(), totals);
    }

    [Fact]
    public async Task WithoutAProgressCallback_StillVerifies()
    {
        var record = await DirectoryRepositoryTests.PublishAsync(_repo, "web", [1, 2, 3]);
        var (_, seal) = await ReadAsync(_repo, record);

        await BackupVerifier.VerifyFilesAsync(_repo, record, seal, null, CancellationToken.None);
    }

    [Fact]
    public async Task AFlippedByte_IsAChecksumMismatchNamingTheFile()
    {
        var content = RandomNumberGenerator.GetBytes(100_000);
        var record = await DirectoryRepositoryTests.PublishAsync(_repo, "web", content);
        var (_, seal) = await ReadAsync(_repo, record);
        var path = Path.Combine(record.Location, "export.tar.gz");
        var bytes = await File.ReadAllBytesAsync(path);
        bytes[54_321] ^= 0x01;
        await File.WriteAllBytesAsync(path, bytes);

        var e = await Assert.ThrowsAsync<IncusBackupException>(() => BackupVerifier.VerifyFilesAsync(_repo, record, seal, null, CancellationToken.None));

        Assert.Equal(ErrorIds.ChecksumMismatch, e.ErrorId);
        Assert.Equal(ErrorKind.InvalidData, e.Kind);
        Assert.Contains("'export.tar.gz'", e.Message, StringComparison.Ordinal);
        Assert.Contains(record.Sha256, e.Message, StringComparison.Ordinal);
        Assert.Contains(Convert.ToHexStringLower(SHA256.HashData(bytes)), e.Message, StringComparison.Ordinal);
        Assert.Contains("nothing was sent", e.RecommendedAction, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ADeletedArchive_IsBackupFileMissing()
    {
        var record = await DirectoryRepositoryTests.PublishAsync(_repo, "web", [1, 2, 3]);
        var (_, seal) = await ReadAsync(_repo, record);
        File.Delete(Path.Combine(record.Location, "export.tar.gz"));

        var e = await Assert.ThrowsAsync<IncusBackupException>(() => BackupVerifier.VerifyFilesAsync(_repo, record, seal, null, CancellationToken.None));

        Assert.Equal(ErrorIds.BackupFileMissing, e.ErrorId);
        Assert.Contains("export.tar.gz", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AChangedManifestOnDisk_FailsReadingTheSeal()
    {
        var record = await DirectoryRepositoryTests.PublishAsync(_repo, "web", [1, 2, 3]);
        var manifest = Path.Combine(record.Location, BackupSeal.ManifestFile);
        await File.WriteAllTextAsync(manifest, (await File.ReadAllTextAsync(manifest)).Replace("\"web\"", "\"db\"", StringComparison.Ordinal));

        var e = await Assert.ThrowsAsync<IncusBackupException>(() => BackupVerifier.ReadSealAsync(_repo, record, CancellationToken.None));

        Assert.Equal(ErrorIds.ChecksumMismatch, e.ErrorId);
        Assert.Contains("manifest.json", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ADeletedChecksumsFile_IsBackupFileMissing()
    {
        var record = await DirectoryRepositoryTests.PublishAsync(_repo, "web", [1, 2, 3]);
        File.Delete(Path.Combine(record.Location, BackupSeal.ChecksumsFile));

        var e = await Assert.ThrowsAsync<IncusBackupException>(() => BackupVerifier.ReadSealAsync(_repo, record, CancellationToken.None));

        Assert.Equal(ErrorIds.BackupFileMissing, e.ErrorId);
        Assert.Contains("checksums.txt", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ACancelledVerification_Stops()
    {
        var record = await DirectoryRepositoryTests.PublishAsync(_repo, "web", RandomNumberGenerator.GetBytes(10_000));
        var (_, seal) = await ReadAsync(_repo, record);
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => BackupVerifier.VerifyFilesAsync(_repo, record, seal, null, cancelled.Token));
    }
}

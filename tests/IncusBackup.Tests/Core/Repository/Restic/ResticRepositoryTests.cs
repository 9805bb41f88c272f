using System.Security.Cryptography;
using IncusBackup.Configuration;
using IncusBackup.Repository;
using IncusBackup.Repository.Restic;
using IncusBackup.Tests.Infrastructure;
using Xunit;

namespace IncusBackup.Tests.Core.Repository.Restic;

/// <summary>The restic backend against the real restic, without a server: what a listing leaves out.</summary>
public sealed class ResticRepositoryTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "ib-restic-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    [ResticFact]
    public async Task ASealWhoseArchiveSnapshotIsGone_IsLeftOutOfTheListing_WithTheReason()
    {
        var (opened, _) = RepositoryFactory.Initialize(new RepositoryTarget("restic", _root, "test") { Password = "pt-orphan" }, "1.2.3");
        var repository = (ResticRepository)opened;
        var content = RandomNumberGenerator.GetBytes(4096);
        using (var staged = repository.BeginBackup(new ResourceKey(BackupKind.Instance, "shop", null, "web")))
        {
            await using (var file = staged.CreateFile("export.tar")) await file.WriteAsync(content);
            await staged.PublishAsync(new BackupManifest
            {
                Kind = "instance", Project = "shop", Name = "web", CreatedAt = DateTimeOffset.UtcNow, ToolVersion = "1.2.3",
                Files = [new ManifestFile { Name = "export.tar", Size = content.Length, Sha256 = Convert.ToHexStringLower(SHA256.HashData(content)) }],
            }, BackupVersion.At(DateTime.UtcNow), CancellationToken.None);
        }
        Assert.Single((await repository.ListAsync(null, CancellationToken.None)).Records);

        // As a run stopped just as it sealed leaves it: the seal written, its archive snapshot forgotten.
        var archive = (await repository.SnapshotsAsync(CancellationToken.None)).Single(s => !s.IsSeal);
        repository.Run(ResticCommand.Forget([archive.Id], prune: false), "forget the archive");

        var listing = await repository.ListAsync(null, CancellationToken.None);
        Assert.Empty(listing.Records);
        Assert.Contains(listing.Problems, p => p.Contains("(instances/shop/web/", StringComparison.Ordinal) && p.EndsWith("seals an archive snapshot that is gone", StringComparison.Ordinal));
    }
}

using System.Security.Cryptography;
using IncusBackup.Configuration;
using IncusBackup.Repository;
using IncusBackup.Retention;
using IncusBackup.Tests.Infrastructure;
using Xunit;

namespace IncusBackup.Tests.Core.Retention;

/// <summary>
/// One retention policy carried out through the storage seam, on a directory repository and on a real restic
/// repository: the same backups, the same plan, and afterwards each lists exactly what the plan kept (a protected
/// backup among them), with the data of the removed ones gone after the one compaction.
/// </summary>
public sealed class RetentionThroughBothBackendsTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 3, 10, 12, 0, 0, TimeSpan.Zero);
    private static readonly RetentionPolicy Policy = new() { Last = 2, Daily = 4 };
    private readonly string _root = Path.Combine(Path.GetTempPath(), "ib-retention-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public Task Directory_KeepsWhatThePlanKeeps() => KeepsWhatThePlanKeepsAsync(new RepositoryTarget("dir", _root, "test"));

    [ResticFact]
    public Task Restic_KeepsWhatThePlanKeeps() => KeepsWhatThePlanKeepsAsync(new RepositoryTarget("restic", _root, "test") { Password = "pt-retention" });

    private static async Task KeepsWhatThePlanKeepsAsync(RepositoryTarget target)
    {
        var (repository, created) = RepositoryFactory.Initialize(target, "1.2.3");
        Assert.True(created);
        // Eight nightly backups of web (each with data of its own) and one of db.
        for (var day = 7; day >= 0; day--) await PublishAsync(repository, "web", Now.AddDays(-day).AddHours(-10), day);
        await PublishAsync(repository, "db", Now.AddDays(-1), 100);
        var before = (await repository.ListAsync(null, CancellationToken.None)).Records;
        Assert.Equal(9, before.Count);
        var sixDaysOld = before.Single(r => r.Name == "web" && r.Timestamp == Now.AddDays(-6).AddHours(-10));
        await repository.SetProtectedAsync(sixDaysOld, protect: true, CancellationToken.None);

        var plan = RetentionPlanner.Apply((await repository.ListAsync(null, CancellationToken.None)).Records, Policy, TimeZoneInfo.Utc, Now);
        foreach (var doomed in plan.Where(d => !d.Keep)) await repository.RemoveAsync(doomed.Backup, CancellationToken.None);
        await repository.CompactAsync(CancellationToken.None);

        var kept = plan.Where(d => d.Keep).Select(d => $"{d.Backup.Name} {d.Backup.Version}").Order(StringComparer.Ordinal).ToList();
        var after = (await repository.ListAsync(null, CancellationToken.None)).Records;
        Assert.Equal(kept, after.Select(r => $"{r.Name} {r.Version}").Order(StringComparer.Ordinal));
        // The plan itself: web's four newest days (the last two among them) and the protected one; db's only backup.
        Assert.Equal(["db", "web -0", "web -1", "web -2", "web -3", "web -6"],
            after.Select(r => r.Name == "db" ? "db" : $"web -{(Now.Date - r.Timestamp.Date).Days}").Order(StringComparer.Ordinal));
        Assert.True(after.Single(r => r.Location == sixDaysOld.Location).Protected);
        foreach (var record in after)
        {
            await using var archive = await repository.OpenReadAsync(record, record.ArchiveName, CancellationToken.None);
            Assert.Equal(record.Sha256, Convert.ToHexStringLower(await SHA256.HashDataAsync(archive)));
        }
    }

    private static async Task PublishAsync(IBackupRepository repository, string name, DateTimeOffset at, int seed)
    {
        var content = new byte[64 * 1024];
        new Random(seed).NextBytes(content);
        using var staged = repository.BeginBackup(new ResourceKey(BackupKind.Instance, "shop", null, name));
        await using (var file = staged.CreateFile("export.tar"))
        {
            await file.WriteAsync(content);
        }
        var manifest = new BackupManifest
        {
            Kind = "instance", Project = "shop", Name = name, CreatedAt = at, CompletedAt = at.AddSeconds(5), ToolVersion = "1.2.3",
            Server = new ManifestServer { Version = "6.0.4", Name = "host1" },
            Options = new ManifestOptions { Consistency = "Frozen", Compression = "none", DetectedCompression = "none", ExportMethod = "Direct" },
            Files = [new ManifestFile { Name = "export.tar", Size = content.Length, Sha256 = Convert.ToHexStringLower(SHA256.HashData(content)) }],
        };
        await staged.PublishAsync(manifest, BackupVersion.At(at.UtcDateTime), CancellationToken.None);
    }
}

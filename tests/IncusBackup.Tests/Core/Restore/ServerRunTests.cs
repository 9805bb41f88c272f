using System.Security.Cryptography;
using System.Text.Json;
using IncusBackup.Errors;
using IncusBackup.Repository;
using IncusBackup.Repository.Directory;
using IncusBackup.Restore;
using Xunit;

namespace IncusBackup.Tests.Core.Restore;

/// <summary>
/// Which backups a Backup-IncusServer run restores: the run's own (latest or by id, whole or one project), in
/// rebuild order, with the images its instances came from even when an earlier run saved them.
/// </summary>
public sealed class ServerRunTests : IDisposable
{
    private const string Run1 = "20260101T000000Z";
    private const string Run2 = "20260102T000000Z";
    private readonly string _root = Path.Combine(Path.GetTempPath(), "ib-serverrun-" + Guid.NewGuid().ToString("N"));
    private readonly DirectoryRepository _repository;
    private int _second;

    public ServerRunTests() => _repository = DirectoryRepository.OpenForWrite(_root, "test");

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    private async Task PublishAsync(BackupKind kind, string project, string name, string? runId, string? baseImage = null)
    {
        using var staged = _repository.BeginBackup(new ResourceKey(kind, project, kind == BackupKind.Volume ? "default" : null, name));
        byte[] content = [1, 2, 3];
        await using (var file = staged.CreateFile("data.bin"))
            await file.WriteAsync(content);
        var manifest = new BackupManifest
        {
            Kind = kind.ToString().ToLowerInvariant(), Project = project, Pool = kind == BackupKind.Volume ? "default" : null, Name = name, RunId = runId,
            Options = new ManifestOptions { DetectedCompression = "none", Consistency = "None", ExportMethod = "Direct" },
            Source = baseImage is null ? null : JsonSerializer.SerializeToElement(new { name, config = new Dictionary<string, string> { ["volatile.base_image"] = baseImage } }),
            Files = [new ManifestFile { Name = "data.bin", Size = content.Length, Sha256 = Convert.ToHexStringLower(SHA256.HashData(content)) }],
        };
        // One second apart, so that every backup has its own version folder and a defined order.
        await staged.PublishAsync(manifest, BackupVersion.At(new DateTime(2026, 1, 3, 0, 0, 0, DateTimeKind.Utc).AddSeconds(_second++)), CancellationToken.None);
    }

    private async Task<ServerRun> FindAsync(string? runId, string? project)
    {
        var all = (await _repository.ListAsync(null, CancellationToken.None)).Records;
        return await ServerRun.FindAsync(_repository, all, runId, project, CancellationToken.None);
    }

    private static string Names(IEnumerable<BackupRecord> records) => string.Join(",", records.Select(r => $"{r.Project}/{r.Name}"));

    /// <summary>Run 1: everything of prod and shop, with the image; run 2: prod again, without the image (the repository had it).</summary>
    private async Task TwoRunsAsync()
    {
        await PublishAsync(BackupKind.Config, "*", "config", Run1);
        await PublishAsync(BackupKind.Image, "prod", "f00d", Run1);
        await PublishAsync(BackupKind.Instance, "shop", "web", Run1);
        await PublishAsync(BackupKind.Instance, "prod", "db", Run1, baseImage: "f00d");
        await PublishAsync(BackupKind.Volume, "prod", "data", Run1);
        await PublishAsync(BackupKind.Config, "prod", "config", Run2);
        await PublishAsync(BackupKind.Instance, "prod", "db", Run2, baseImage: "f00d");
        await PublishAsync(BackupKind.Instance, "prod", "app", Run2);
        await PublishAsync(BackupKind.Instance, "prod", "lone", runId: null);
    }

    [Fact]
    public async Task FindAsync_TheLatestRun_HasItsOwnBackupsInRebuildOrder_AndTheImageAnEarlierRunSaved()
    {
        await TwoRunsAsync();

        var run = await FindAsync(null, null);

        Assert.Equal(Run2, run.RunId);
        Assert.Equal("prod", run.Config?.Project);
        Assert.Equal("prod/f00d", Names(run.Images));
        Assert.Equal(Run1, run.Images[0].RunId);
        Assert.Empty(run.Volumes);
        Assert.Equal("prod/app,prod/db", Names(run.Instances));
        Assert.All(run.Instances, i => Assert.Equal(Run2, i.RunId));
        Assert.Equal(4, run.Count);
    }

    [Fact]
    public async Task FindAsync_ARunById_LimitedToOneProject_TakesTheWholeServerConfig_AndNothingOfOtherProjects()
    {
        await TwoRunsAsync();

        var run = await FindAsync(Run1, "shop");

        Assert.Equal("*", run.Config?.Project);
        Assert.Empty(run.Images);
        Assert.Empty(run.Volumes);
        Assert.Equal("shop/web", Names(run.Instances));
    }

    [Fact]
    public async Task FindAsync_AWholeRun_HasEveryProject()
    {
        await TwoRunsAsync();

        var run = await FindAsync(Run1, null);

        Assert.Equal("prod/f00d", Names(run.Images));
        Assert.Equal("prod/data", Names(run.Volumes));
        Assert.Equal("prod/db,shop/web", Names(run.Instances));
    }

    [Fact]
    public async Task FindAsync_ARunTheRepositoryDoesNotHold_IsBackupNotFound_NamingTheRunsItHolds()
    {
        await TwoRunsAsync();

        var e = await Assert.ThrowsAsync<IncusBackupException>(() => FindAsync("20250101T000000Z", null));

        Assert.Equal(ErrorIds.BackupNotFound, e.ErrorId);
        Assert.Contains($"its runs are {Run1}, {Run2}", e.Message);
    }

    [Fact]
    public async Task FindAsync_AProjectTheRunDidNotBackUp_IsBackupNotFound()
    {
        await TwoRunsAsync();

        var e = await Assert.ThrowsAsync<IncusBackupException>(() => FindAsync(Run2, "shop"));

        Assert.Equal(ErrorIds.BackupNotFound, e.ErrorId);
        Assert.Contains($"Run {Run2}", e.Message);
        Assert.Contains("nothing of project 'shop'", e.Message);
    }

    [Fact]
    public async Task FindAsync_ARepositoryWithoutRuns_IsBackupNotFound_PointingToTheSingleRestoreCmdlets()
    {
        await PublishAsync(BackupKind.Instance, "prod", "lone", runId: null);

        var e = await Assert.ThrowsAsync<IncusBackupException>(() => FindAsync(null, null));

        Assert.Equal(ErrorIds.BackupNotFound, e.ErrorId);
        Assert.Contains("no Backup-IncusServer run", e.Message);
        Assert.Contains("Restore-IncusInstance", e.RecommendedAction);
    }
}

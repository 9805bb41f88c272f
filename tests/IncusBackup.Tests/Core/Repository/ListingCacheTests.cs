using System.Reflection;
using IncusBackup.Repository;
using IncusBackup.Repository.Directory;
using Xunit;

namespace IncusBackup.Tests.Core.Repository;

/// <summary>
/// The directory repository's listing cache (in the user's cache folder): used while a version folder is
/// unchanged, read again when it changes (published, protected, removed), never written into the repository,
/// and a damaged cache file only costs time.
/// </summary>
public sealed class ListingCacheTests : IDisposable
{
    private static readonly DateTime Moment = new(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc);
    private readonly string _root = Path.Combine(Path.GetTempPath(), "ib-cache-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
        if (ListingCache.PathFor(_root) is { } cache) File.Delete(cache);
    }

    private DirectoryRepository Open() => DirectoryRepository.OpenForWrite(_root, "1.2.3");

    private static async Task<List<BackupRecord>> ListAsync(IBackupRepository repo) =>
        [.. (await repo.ListAsync(null, CancellationToken.None)).Records];

    private static string Manifest(BackupRecord record) => Path.Combine(record.Location, BackupSeal.ManifestFile);

    /// <summary>Rewrites a manifest's name in place and puts its folder's time back: a change the cache cannot see.</summary>
    private static void RenameInPlace(BackupRecord record, string newName)
    {
        var folderTime = Directory.GetLastWriteTimeUtc(record.Location);
        var text = File.ReadAllText(Manifest(record)).Replace($"\"name\": \"{record.Name}\"", $"\"name\": \"{newName}\"", StringComparison.Ordinal);
        using (var stream = new FileStream(Manifest(record), FileMode.Open, FileAccess.Write))
        {
            stream.SetLength(0);
            stream.Write(System.Text.Encoding.UTF8.GetBytes(text));
        }
        Directory.SetLastWriteTimeUtc(record.Location, folderTime);
    }

    [Fact]
    public async Task ASecondListing_ComesFromTheCache_UntilTheFolderChanges()
    {
        var repo = Open();
        var record = await DirectoryRepositoryTests.PublishAsync(repo, "web", [1, 2, 3], Moment);
        Assert.Equal("web", Assert.Single(await ListAsync(repo)).Name);
        Assert.True(File.Exists(ListingCache.PathFor(_root)));

        RenameInPlace(record, "edited");
        Assert.Equal("web", Assert.Single(await ListAsync(repo)).Name); // the cached record

        Directory.SetLastWriteTimeUtc(record.Location, DateTime.UtcNow);
        Assert.Equal("edited", Assert.Single(await ListAsync(repo)).Name); // read again
    }

    [Fact]
    public async Task ProtectingNewBackupsAndRemoving_ShowAtOnce()
    {
        var repo = Open();
        var first = await DirectoryRepositoryTests.PublishAsync(repo, "web", [1], Moment);
        Assert.False(Assert.Single(await ListAsync(repo)).Protected);

        await repo.SetProtectedAsync(first, true, CancellationToken.None);
        Assert.True(Assert.Single(await ListAsync(repo)).Protected);

        var second = await DirectoryRepositoryTests.PublishAsync(repo, "web", [2], Moment.AddDays(1));
        Assert.Equal([first.Version, second.Version], (await ListAsync(repo)).Select(r => r.Version));

        await repo.SetProtectedAsync(first, false, CancellationToken.None);
        await repo.RemoveAsync(second, CancellationToken.None);
        var left = Assert.Single(await ListAsync(repo));
        Assert.Equal(first.Version, left.Version);
        Assert.False(left.Protected);
    }

    [Fact]
    public async Task ADeletedManifest_IsReportedAgain_NotServedFromTheCache()
    {
        var repo = Open();
        var record = await DirectoryRepositoryTests.PublishAsync(repo, "web", [1], Moment);
        await ListAsync(repo);

        File.Delete(Manifest(record));
        var listing = await repo.ListAsync(null, CancellationToken.None);

        Assert.Empty(listing.Records);
        Assert.Contains("has no manifest.json", Assert.Single(listing.Problems), StringComparison.Ordinal);
    }

    [Fact]
    public async Task EveryPropertyOfARecord_SurvivesTheCache()
    {
        var repo = Open();
        await DirectoryRepositoryTests.PublishAsync(repo, "web", [1, 2, 3], Moment, BackupKind.Volume, pool: "fast");
        var fresh = Assert.Single(await ListAsync(repo)); // read from the manifest, written to the cache
        var cached = Assert.Single(await ListAsync(repo));

        Assert.NotSame(fresh, cached);
        foreach (var property in typeof(BackupRecord).GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            var (a, b) = (property.GetValue(fresh), property.GetValue(cached));
            if (a is string[] arrayA) Assert.Equal(arrayA, (string[])b!);
            else Assert.True(Equals(a, b), $"{property.Name}: {a} != {b}");
        }
    }

    [Fact]
    public async Task EveryFieldOfTheCacheFormat_RoundTrips_WithNonDefaultValues()
    {
        // Each property set to something other than its default, so a field the cache forgets shows.
        var repo = Open();
        var record = await DirectoryRepositoryTests.PublishAsync(repo, "web", [1, 2, 3], Moment);
        var manifest = BackupSeal.ParseManifest(File.ReadAllBytes(Manifest(record)), "test");
        manifest.Kind = "image";
        manifest.Pool = "fast";
        manifest.RunId = "20260101T000000Z";
        manifest.InstanceType = "virtual-machine";
        manifest.Snapshots = ["snap0", "snap1"];
        manifest.Options = new ManifestOptions { Consistency = "Stopped", InstanceOnly = true, Optimized = true, DetectedCompression = "xz" };
        manifest.Server = new ManifestServer { Version = "6.0.4", Name = "host1" };
        manifest.Source = System.Text.Json.JsonDocument.Parse("""{"aliases": [{"name": "a1"}, {"name": "a2"}]}""").RootElement;
        File.WriteAllBytes(Manifest(record), System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(manifest, RepositoryJsonContext.Default.BackupManifest));
        await repo.SetProtectedAsync(record, true, CancellationToken.None);

        var fresh = Assert.Single(await ListAsync(repo));
        var cached = Assert.Single(await ListAsync(repo));

        Assert.Equal((BackupKind.Image, "fast", "20260101T000000Z", "virtual-machine", "Stopped", "6.0.4", "host1", "xz"),
            (cached.Kind, cached.Pool, cached.RunId, cached.Type, cached.Consistency, cached.ServerVersion, cached.ServerName, cached.Compression));
        Assert.Equal((true, true, true), (cached.WithoutSnapshots, cached.Optimized, cached.Protected));
        Assert.Equal(["snap0", "snap1"], cached.Snapshots);
        Assert.Equal(["a1", "a2"], cached.Aliases);
        Assert.Equal((fresh.Timestamp, fresh.Size, fresh.Sha256, fresh.ArchiveName, fresh.Location, fresh.Repository),
            (cached.Timestamp, cached.Size, cached.Sha256, cached.ArchiveName, cached.Location, cached.Repository));
    }

    [Fact]
    public async Task ADamagedCacheFile_IsIgnored_AndRewritten()
    {
        var repo = Open();
        await DirectoryRepositoryTests.PublishAsync(repo, "web", [1], Moment);
        await ListAsync(repo);
        var cache = ListingCache.PathFor(_root)!;
        var bytes = File.ReadAllBytes(cache);
        File.WriteAllBytes(cache, bytes[..(bytes.Length / 2)]);

        Assert.Equal("web", Assert.Single(await ListAsync(repo)).Name);
        Assert.Equal(bytes.Length, new FileInfo(cache).Length);
    }

    [Fact]
    public async Task AListing_NeverWritesIntoTheRepository()
    {
        var repo = Open();
        await DirectoryRepositoryTests.PublishAsync(repo, "web", [1], Moment);
        await DirectoryRepositoryTests.PublishAsync(repo, "v1", [1], Moment, BackupKind.Volume, pool: "default");
        string State() => string.Join("\n", Directory.EnumerateFileSystemEntries(_root, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
            .Select(p => $"{p} {File.GetLastWriteTimeUtc(p).Ticks}"));
        var before = State();

        await ListAsync(repo);
        await ListAsync(repo);

        Assert.Equal(before, State());
    }
}

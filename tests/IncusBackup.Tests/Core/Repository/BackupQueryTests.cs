using IncusBackup.Repository;
using Xunit;

namespace IncusBackup.Tests.Core.Repository;

public sealed class BackupQueryTests
{
    private static BackupRecord R(string name, string version, BackupKind kind = BackupKind.Instance, string project = "default", string? pool = null) => new()
    {
        Kind = kind, Project = project, Pool = pool, Name = name, Version = version,
        Timestamp = new DateTimeOffset(BackupVersion.Parse(version).Timestamp), Compression = "zstd", Sha256 = "", ArchiveName = "", Location = "", Repository = "dir:/r",
    };

    private static readonly BackupRecord[] All =
    [
        R("web", "20260101T000000Z"), R("web", "20260102T000000Z"), R("web", "20260102T000000Z-2"),
        R("db", "20260101T000000Z", project: "prod"),
        R("data", "20260103T000000Z", BackupKind.Volume, pool: "fast"),
    ];

    [Fact]
    public void Latest_TakesTheNewestOfEachResource() =>
        Assert.Equal(["web@20260102T000000Z-2", "db@20260101T000000Z", "data@20260103T000000Z"],
            new BackupQuery { Latest = true }.Apply(All).Select(r => $"{r.Name}@{r.Version}"));

    [Fact]
    public void NamesAreWildcards_AndVolumesMatchPoolSlashName()
    {
        Assert.Equal(3, new BackupQuery { Names = ["w*"] }.Apply(All).Count());
        Assert.Equal("data", new BackupQuery { Names = ["fast/data"] }.Apply(All).Single().Name);
        Assert.Empty(new BackupQuery { Names = ["slow/*"] }.Apply(All));
    }

    [Fact]
    public void AfterAndBefore_AreExclusiveBounds()
    {
        var after = new BackupQuery { After = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc) }.Apply(All);
        Assert.Equal(3, after.Count());
        var before = new BackupQuery { Before = new DateTime(2026, 1, 2, 0, 0, 0, DateTimeKind.Utc) }.Apply(All);
        Assert.Equal(2, before.Count());
    }

    [Fact]
    public void KindProjectPoolAndVersionFilter()
    {
        Assert.Single(new BackupQuery { Kind = BackupKind.Volume }.Apply(All));
        Assert.Single(new BackupQuery { Project = "prod" }.Apply(All));
        Assert.Single(new BackupQuery { Pool = "fast" }.Apply(All));
        Assert.Equal(2, new BackupQuery { Version = "20260101T000000Z" }.Apply(All).Count());
    }

    [Fact]
    public void ServerName_FiltersByTheServerTheBackupsCameFrom_AndLatestKeepsEachServersOwn()
    {
        BackupRecord[] shared =
        [
            With(R("web", "20260101T000000Z"), "host-a"), With(R("web", "20260102T000000Z"), "host-b"),
            With(R("web", "20260103T000000Z"), "host-a"), R("web", "20251201T000000Z"),
        ];

        Assert.Equal(["20260101T000000Z", "20260103T000000Z"], new BackupQuery { ServerName = "host-a" }.Apply(shared).Select(r => r.Version));
        Assert.Equal(3, new BackupQuery { ServerName = "HOST-*" }.Apply(shared).Count());
        // One newest per server: host-a's, host-b's, and that of the backup that names no server.
        Assert.Equal(["20251201T000000Z", "20260102T000000Z", "20260103T000000Z"],
            new BackupQuery { Latest = true }.Apply(shared).Select(r => r.Version).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Latest_OnACluster_KeepsTheNewestVolumeOfEachMember_ButOneInstanceWhereverItRan()
    {
        BackupRecord[] cluster =
        [
            With(R("data", "20260101T000000Z", BackupKind.Volume, pool: "local"), "node1", "node1"),
            With(R("data", "20260102T000000Z", BackupKind.Volume, pool: "local"), "node1", "node2"),
            With(R("data", "20260103T000000Z", BackupKind.Volume, pool: "local"), "node1", "node1"),
            With(R("web", "20260101T000000Z"), "node1", "node1"),
            With(R("web", "20260102T000000Z"), "node1", "node2"),
        ];

        // Two volumes named data (one per member's local pool), one instance web that moved from node1 to node2.
        Assert.Equal(["data@20260102T000000Z", "data@20260103T000000Z", "web@20260102T000000Z"],
            new BackupQuery { Latest = true }.Apply(cluster).Select(r => $"{r.Name}@{r.Version}").Order(StringComparer.Ordinal));
    }

    private static BackupRecord With(BackupRecord record, string server, string? member = null) => new()
    {
        Kind = record.Kind, Project = record.Project, Pool = record.Pool, Name = record.Name, Version = record.Version, Timestamp = record.Timestamp,
        Compression = record.Compression, Sha256 = record.Sha256, ArchiveName = record.ArchiveName, Location = record.Location, Repository = record.Repository,
        ServerName = server, Member = member,
    };
}

using IncusBackup.Errors;
using IncusBackup.Repository;
using IncusBackup.Repository.Restic;
using Xunit;

namespace IncusBackup.Tests.Core.Repository.Restic;

public class ResticSnapshotTests
{
    private const string Listing = """
        [{"time":"2026-12-02T17:26:00.46Z","tree":"05fc","paths":["/archive.partial"],"hostname":"incusbackup","username":"root",
          "tags":["incusbackup","incusbackup-data","kind=instance","project=p","name=c1","backup=b1","run=1@h"],"id":"ddb29d305fd5","short_id":"ddb29d30"},
         {"time":"2026-12-02T17:26:01.39Z","tree":"cf43","paths":["/tmp/x"],"hostname":"incusbackup","username":"root",
          "tags":["incusbackup","incusbackup-seal","kind=instance","project=p","name=c1","backup=b1","version=20261202T172600Z",
                  "location=instances/p/c1/20261202T172600Z","file=export.tar.zst@ddb29d30","protected"],"id":"a223a7acd4d3","short_id":"a223a7ac"}]
        """;

    [Fact]
    public void SnapshotsJson_GivesSealsWithTheirTags()
    {
        var list = ResticSnapshot.ParseList(Listing);

        Assert.Equal(2, list.Count);
        Assert.False(list[0].IsSeal);
        Assert.Equal("/archive.partial", list[0].Paths.Single());
        var seal = list[1];
        Assert.True(seal.IsSeal);
        Assert.True(seal.IsProtected);
        Assert.Equal("b1", seal.BackupId);
        Assert.Equal("20261202T172600Z", seal.Version);
        Assert.Equal("instances/p/c1/20261202T172600Z", seal.Location);
        Assert.Equal("ddb29d30", ResticTags.Files(seal.Tags)["export.tar.zst"]);
        Assert.Equal("a223a7ac", seal.ShortId);
    }

    [Theory]
    [InlineData("")]
    [InlineData("null")]
    [InlineData("[]")]
    public void NoSnapshots_IsAnEmptyList(string json) => Assert.Empty(ResticSnapshot.ParseList(json));

    [Fact]
    public void NotJson_IsResticFailed()
    {
        var e = Assert.Throws<IncusBackupException>(() => ResticSnapshot.ParseList("Fatal: nope"));
        Assert.Equal(ErrorIds.ResticFailed, e.ErrorId);
    }

    [Fact]
    public void BackupOutput_GivesTheSummarysSnapshotId()
    {
        const string output = """
            {"message_type":"status","percent_done":1}
            warning: something
            {"message_type":"summary","files_new":1,"snapshot_id":"ea9ac6e9"}
            """;
        Assert.Equal("ea9ac6e9", ResticSnapshot.SnapshotIdFromBackupOutput(output));
        Assert.Null(ResticSnapshot.SnapshotIdFromBackupOutput("Fatal: x"));
    }

    [Fact]
    public void SealTags_NameVersionLocationAndFiles()
    {
        var tags = ResticTags.ForSeal(new ResourceKey(BackupKind.Instance, "p", null, "c1"), "b1", "20261202T172600Z", "instances/p/c1/20261202T172600Z",
            [("export.tar.zst", "ddb29d30")]);

        Assert.Equal(["incusbackup", "incusbackup-seal", "kind=instance", "project=p", "name=c1", "backup=b1", "version=20261202T172600Z",
            "location=instances/p/c1/20261202T172600Z", "file=export.tar.zst@ddb29d30"], tags);
    }
}

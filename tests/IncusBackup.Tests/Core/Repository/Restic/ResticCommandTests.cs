using IncusBackup.Errors;
using IncusBackup.Repository;
using IncusBackup.Repository.Restic;
using Xunit;

namespace IncusBackup.Tests.Core.Repository.Restic;

public class ResticCommandTests
{
    private static readonly Dictionary<string, string?> Env = new() { ["RESTIC_PASSWORD"] = "secret" };

    [Fact]
    public void RepositoryAndPassword_GoThroughTheEnvironment_NeverTheArguments()
    {
        var info = ResticCommand.Build("rest:http://u:p@host/repo", ResticCommand.Snapshots(), n => Env.GetValueOrDefault(n));

        Assert.Equal("rest:http://u:p@host/repo", info.Environment["RESTIC_REPOSITORY"]);
        Assert.DoesNotContain(info.ArgumentList, a => a.Contains("secret", StringComparison.Ordinal) || a.Contains("host", StringComparison.Ordinal));
        Assert.Equal(["--quiet", "snapshots", "--json", "--tag", "incusbackup"], info.ArgumentList);
        Assert.Equal("restic", info.FileName);
    }

    [Fact]
    public void Binary_ComesFromIncusBackupRestic()
    {
        Assert.Equal("/opt/restic", ResticCommand.Binary(n => n == "INCUS_BACKUP_RESTIC" ? "/opt/restic" : null));
    }

    [Fact]
    public void BackupStdin_NamesTheFileAndTagsIt()
    {
        var tags = ResticTags.ForData(new ResourceKey(BackupKind.Volume, "p", "tank", "v1"), "abc", "12@h");

        var args = ResticCommand.BackupStdin("archive.partial", tags);

        Assert.Equal(["backup", "--json", "--stdin", "--stdin-filename", "archive.partial", "--host", "incusbackup",
            "--tag", "incusbackup", "--tag", "incusbackup-data", "--tag", "kind=volume", "--tag", "project=p", "--tag", "pool=tank",
            "--tag", "name=v1", "--tag", "backup=abc", "--tag", "run=12@h"], args);
    }

    [Fact]
    public void ForgetWithPrune_ListsTheIds()
    {
        Assert.Equal(["forget", "--prune", "a", "b"], ResticCommand.Forget(["a", "b"], prune: true));
        Assert.Equal(["forget", "a"], ResticCommand.Forget(["a"], prune: false));
        Assert.Equal(["dump", "a1", "/manifest.json"], ResticCommand.Dump("a1", "manifest.json"));
    }

    [Theory]
    [InlineData("RESTIC_PASSWORD")]
    [InlineData("RESTIC_PASSWORD_FILE")]
    [InlineData("RESTIC_PASSWORD_COMMAND")]
    public void AnyPasswordVariable_Will(string variable)
    {
        ResticCommand.EnsurePassword("/r", n => n == variable ? "x" : null);
    }

    [Fact]
    public void NoPassword_IsResticPasswordMissing()
    {
        var e = Assert.Throws<IncusBackupException>(() => ResticCommand.EnsurePassword("/r", _ => null));
        Assert.Equal(ErrorIds.ResticPasswordMissing, e.ErrorId);
        Assert.Contains("RESTIC_PASSWORD", e.RecommendedAction, StringComparison.Ordinal);
    }

    [Fact]
    public void ATagWithAComma_IsRefused()
    {
        var e = Assert.Throws<IncusBackupException>(() => ResticTags.ForData(new ResourceKey(BackupKind.Instance, "a,b", null, "c"), "id", "1@h"));
        Assert.Equal(ErrorIds.InvalidName, e.ErrorId);
    }
}

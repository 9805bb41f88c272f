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
        var info = ResticCommand.Build("rest:http://u:p@host/repo", ResticCommand.Snapshots(), n => Env.GetValueOrDefault(n), password: null);

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
        ResticCommand.EnsurePassword("/r", n => n == variable ? "x" : null, password: null);
    }

    [Fact]
    public void AGivenPassword_IsEnough()
    {
        ResticCommand.EnsurePassword("/r", _ => null, password: "from-a-credential");
    }

    [Fact]
    public void AGivenPassword_GoesAsResticPassword_AndHidesTheOtherSources()
    {
        var info = ResticCommand.Build("/r", ResticCommand.CatConfig(), _ => null, password: "from-a-credential");
        info.Environment["RESTIC_PASSWORD_FILE"] = "/f";
        info.Environment["RESTIC_PASSWORD_COMMAND"] = "cat /f";
        info = ResticCommand.Build("/r", ResticCommand.CatConfig(), _ => null, password: "from-a-credential");

        Assert.Equal("from-a-credential", info.Environment["RESTIC_PASSWORD"]);
        Assert.DoesNotContain(info.ArgumentList, a => a.Contains("from-a-credential", StringComparison.Ordinal));
    }

    [Fact]
    public void Init_CreatesFormatTwo()
    {
        Assert.Equal(["init", "--repository-version", "2"], ResticCommand.Init());
    }

    [Fact]
    public void NoPassword_IsResticPasswordMissing()
    {
        var e = Assert.Throws<IncusBackupException>(() => ResticCommand.EnsurePassword("/r", _ => null, password: null));
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

/// <summary>restic inherits this process's environment: a password file set there must not reach it beside a given password.</summary>
[Collection(nameof(Integration.ProcessEnvironmentCollection))]
public class ResticCommandEnvironmentTests
{
    [Fact]
    public void AGivenPassword_GoesAsResticPassword_AndHidesTheOtherSources()
    {
        Environment.SetEnvironmentVariable("RESTIC_PASSWORD_FILE", "/nonexistent/pass");
        Environment.SetEnvironmentVariable("RESTIC_PASSWORD_COMMAND", "cat /nonexistent/pass");
        try
        {
            var info = ResticCommand.Build("/r", ResticCommand.CatConfig(), _ => null, password: "from-a-credential");

            Assert.Equal("from-a-credential", info.Environment["RESTIC_PASSWORD"]);
            Assert.False(info.Environment.ContainsKey("RESTIC_PASSWORD_FILE"));
            Assert.False(info.Environment.ContainsKey("RESTIC_PASSWORD_COMMAND"));
            Assert.DoesNotContain(info.ArgumentList, a => a.Contains("from-a-credential", StringComparison.Ordinal));

            var withoutPassword = ResticCommand.Build("/r", ResticCommand.CatConfig(), _ => null, password: null);
            Assert.Equal("/nonexistent/pass", withoutPassword.Environment["RESTIC_PASSWORD_FILE"]);
        }
        finally
        {
            Environment.SetEnvironmentVariable("RESTIC_PASSWORD_FILE", null);
            Environment.SetEnvironmentVariable("RESTIC_PASSWORD_COMMAND", null);
        }
    }
}

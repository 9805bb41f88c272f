using IncusBackup.Configuration;
using IncusBackup.Errors;
using Xunit;

namespace IncusBackup.Tests.Core.Configuration;

public sealed class TargetResolverTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ib-target-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private Func<string, string?> Env(Dictionary<string, string> values) => name => values.GetValueOrDefault(name);

    [Fact]
    public void Parameter_WinsOverEnvironmentAndFile()
    {
        var config = Path.Combine(_dir, "config.json");
        File.WriteAllText(config, """{"target": "dir:/from/file"}""");
        var env = Env(new() { ["INCUS_BACKUP_TARGET"] = "dir:/from/env", ["INCUS_BACKUP_CONFIG"] = config });

        Assert.Equal("/from/param", TargetResolver.Resolve("dir:/from/param", "/cwd", env).Location);
        Assert.Equal("/from/env", TargetResolver.Resolve(null, "/cwd", env).Location);
        var fromFile = TargetResolver.Resolve(null, "/cwd", Env(new() { ["INCUS_BACKUP_CONFIG"] = config }));
        Assert.Equal("/from/file", fromFile.Location);
        Assert.Equal(config, fromFile.Source);
    }

    [Fact]
    public void ConfigFile_DefaultsToXdgConfigHome()
    {
        var env = Env(new() { ["XDG_CONFIG_HOME"] = _dir });
        Directory.CreateDirectory(Path.Combine(_dir, "incus-backup"));
        File.WriteAllText(Path.Combine(_dir, "incus-backup", "config.json"), """{"target": "/srv/backups"}""");
        Assert.Equal("/srv/backups", TargetResolver.Resolve(null, "/cwd", env).Location);
    }

    [Theory]
    [InlineData("dir:/mnt/nas/incus", "/mnt/nas/incus")]
    [InlineData("/mnt/nas/incus", "/mnt/nas/incus")]
    [InlineData("relative/repo", "/cwd/relative/repo")]
    [InlineData("dir:relative", "/cwd/relative")]
    [InlineData("DIR:/x", "/x")]
    public void BarePathMeansDir(string value, string expected)
    {
        var target = TargetResolver.Parse(value, "/cwd", "test");
        Assert.Equal("dir", target.Scheme);
        Assert.Equal(expected, target.Location);
    }

    [Theory]
    [InlineData("rclone:/repo")]
    [InlineData("s3:bucket/x")]
    public void UnknownScheme_IsRejected(string value)
    {
        var e = Assert.Throws<IncusBackupException>(() => TargetResolver.Parse(value, "/cwd", "test"));
        Assert.Equal(ErrorIds.TargetSchemeUnsupported, e.ErrorId);
        Assert.NotNull(e.RecommendedAction);
    }

    [Theory]
    [InlineData("rclone:/repo", "rclone")]
    [InlineData("sftp:host:/x", "sftp")]
    public void UnknownScheme_NamesItAndRecommendsDir(string value, string scheme)
    {
        var e = Assert.Throws<IncusBackupException>(() => TargetResolver.Parse(value, "/cwd", "parameter -Target"));

        Assert.Equal(ErrorKind.InvalidArgument, e.Kind);
        Assert.Contains($"'{scheme}:'", e.Message, StringComparison.Ordinal);
        Assert.Contains("parameter -Target", e.Message, StringComparison.Ordinal);
        Assert.Contains("dir:", e.RecommendedAction, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("dir:")]
    [InlineData("dir:   ")]
    [InlineData("  DIR:")]
    public void SchemeWithoutLocation_IsTargetNotConfigured(string value)
    {
        var e = Assert.Throws<IncusBackupException>(() => TargetResolver.Parse(value, "/cwd", "test"));

        Assert.Equal(ErrorIds.TargetNotConfigured, e.ErrorId);
        Assert.Contains("dir:/path/to/repository", e.RecommendedAction, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("~/x", "x")]
    [InlineData("dir:~/backups/incus", "backups/incus")]
    [InlineData("~", "")]
    public void Tilde_ExpandsToTheHomeFolder(string value, string underHome)
    {
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);

        var target = TargetResolver.Parse(value, "/cwd", "test");

        Assert.Equal(Path.GetFullPath(Path.Combine(home, underHome)).TrimEnd('/'), target.Location.TrimEnd('/'));
    }

    [Fact]
    public void TildeInsideAName_IsNotExpanded()
    {
        Assert.Equal("/cwd/~x", TargetResolver.Parse("~x", "/cwd", "test").Location);
    }

    [Theory]
    [InlineData("../up", "/srv/up")]
    [InlineData("dir:./here/./there", "/srv/base/here/there")]
    [InlineData("dir:/abs/../other", "/other")]
    public void RelativePaths_ResolveAgainstTheGivenBaseDirectory(string value, string expected)
    {
        Assert.Equal(expected, TargetResolver.Parse(value, "/srv/base", "test").Location);
    }

    [Fact]
    public void RelativePathInTheConfigFile_ResolvesAgainstTheFilesFolder()
    {
        var config = Path.Combine(_dir, "config.json");
        File.WriteAllText(config, """{"target": "dir:repo"}""");

        var target = TargetResolver.Resolve(null, "/cwd", Env(new() { ["INCUS_BACKUP_CONFIG"] = config }));

        Assert.Equal(Path.Combine(_dir, "repo"), target.Location);
    }

    [Fact]
    public void NothingConfigured_SaysHowToFixIt()
    {
        var e = Assert.Throws<IncusBackupException>(() => TargetResolver.Resolve(null, "/cwd", Env(new() { ["HOME"] = _dir })));
        Assert.Equal(ErrorIds.TargetNotConfigured, e.ErrorId);
        Assert.Contains("INCUS_BACKUP_TARGET", e.RecommendedAction);
    }

    [Fact]
    public void BrokenConfigFile_GivesConfigFileInvalid()
    {
        var config = Path.Combine(_dir, "bad.json");
        File.WriteAllText(config, "{not json");
        var e = Assert.Throws<IncusBackupException>(() => TargetResolver.Resolve(null, "/cwd", Env(new() { ["INCUS_BACKUP_CONFIG"] = config })));
        Assert.Equal(ErrorIds.ConfigFileInvalid, e.ErrorId);
    }
}

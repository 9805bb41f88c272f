using IncusBackup.Configuration;
using Xunit;

namespace IncusBackup.Tests.Core.Repository.Restic;

public class ResticRepositoryProviderTests
{
    [Theory]
    [InlineData("restic:/srv/repo", "/srv/repo")]
    [InlineData("restic:repo", "/cwd/repo")]
    [InlineData("restic:repo=/srv/repo", "/srv/repo")]
    [InlineData("restic:rest:http://host:8000/repo", "rest:http://host:8000/repo")]
    [InlineData("restic:repo=rest:https://host/r", "rest:https://host/r")]
    [InlineData("restic:sftp:user@host:/srv/repo", "sftp:user@host:/srv/repo")]
    [InlineData("RESTIC:s3:s3.amazonaws.com/bucket", "s3:s3.amazonaws.com/bucket")]
    public void ResticTargets_KeepWhatResticAccepts(string value, string location)
    {
        var target = TargetResolver.Parse(value, "/cwd", "test");
        Assert.Equal("restic", target.Scheme);
        Assert.Equal(location, target.Location);
    }
}

using Xunit;

namespace IncusBackup.Tests.Core;

public sealed class WildcardTests
{
    [Theory]
    [InlineData("web*", "web01", true)]
    [InlineData("web*", "Web01", true)]
    [InlineData("web*", "db01", false)]
    [InlineData("w?b", "web", true)]
    [InlineData("w?b", "weeb", false)]
    [InlineData("db[12]", "db2", true)]
    [InlineData("db[12]", "db3", false)]
    [InlineData("a.b", "axb", false)]
    [InlineData("*/data", "default/data", true)]
    public void MatchesLikePowerShell(string pattern, string value, bool expected) =>
        Assert.Equal(expected, new Wildcard(pattern).IsMatch(value));

    [Theory]
    [InlineData("web", false)]
    [InlineData("web*", true)]
    [InlineData("w?b", true)]
    [InlineData("[ab]", true)]
    public void HasWildcards(string pattern, bool expected) => Assert.Equal(expected, Wildcard.HasWildcards(pattern));
}

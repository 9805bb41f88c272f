using IncusBackup.Errors;
using IncusBackup.Repository;
using Xunit;

namespace IncusBackup.Tests.Core.Repository;

public sealed class BackupVersionTests
{
    [Fact]
    public void At_TruncatesToTheSecond_AndFormatsAsTheSpecSays()
    {
        var version = BackupVersion.At(new DateTime(2025, 9, 14, 12, 13, 14, 987, DateTimeKind.Utc));
        Assert.Equal("20250914T121314Z", version.ToString());
        Assert.Equal("20250914T121314Z-2", version.Next().ToString());
    }

    [Theory]
    [InlineData("20250914T121314Z", 1)]
    [InlineData("20250914T121314Z-2", 2)]
    [InlineData("20250914T121314Z-11", 11)]
    public void TryParse_AcceptsVersionsWithSequence(string text, int sequence)
    {
        Assert.True(BackupVersion.TryParse(text, out var v));
        Assert.Equal(sequence, v.Sequence);
        Assert.Equal(new DateTime(2025, 9, 14, 12, 13, 14, DateTimeKind.Utc), v.Timestamp);
        Assert.Equal(DateTimeKind.Utc, v.Timestamp.Kind);
        Assert.Equal(text, v.ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("20250914T121314")]
    [InlineData("20250914T121314Z-1")]
    [InlineData("20250914T121314Z-x")]
    [InlineData("20251314T121314Z")]
    [InlineData(".incomplete")]
    public void TryParse_RejectsEverythingElse(string text) => Assert.False(BackupVersion.TryParse(text, out _));

    [Fact]
    public void Parse_GivesInvalidVersion()
    {
        var e = Assert.Throws<IncusBackupException>(() => BackupVersion.Parse("yesterday"));
        Assert.Equal(ErrorIds.InvalidVersion, e.ErrorId);
    }

    [Fact]
    public void Ordering_UsesSequenceNumerically()
    {
        var versions = new[] { "20250914T121314Z-10", "20250914T121315Z", "20250914T121314Z", "20250914T121314Z-2" }
            .Select(BackupVersion.Parse).Order().Select(v => v.ToString());
        Assert.Equal(["20250914T121314Z", "20250914T121314Z-2", "20250914T121314Z-10", "20250914T121315Z"], versions);
    }
}

using IncusBackup.Reporting;
using Xunit;

namespace IncusBackup.Tests.Core.Reporting;

/// <summary>The status line and percentage a progress bar shows for one item, from what the engine knows so far.</summary>
public sealed class ItemProgressTests
{
    private const long MiB = 1 << 20;

    [Fact]
    public void TotalKnown_StatusShowsBytesOfTotal_PercentIsTheShareDone()
    {
        var progress = new ItemProgress("p/c1", "Downloading", 3 * MiB / 2, 3 * MiB);

        Assert.Equal("Downloading: 1.5 MiB of 3.0 MiB", progress.Status);
        Assert.Equal(50, progress.Percent);
    }

    [Fact]
    public void TotalKnown_PercentRoundsDown()
    {
        Assert.Equal(33, new ItemProgress("p/c1", "Downloading", 1, 3).Percent);
        Assert.Equal(99, new ItemProgress("p/c1", "Downloading", 999, 1000).Percent);
    }

    [Fact]
    public void TotalKnown_MoreBytesThanTotal_PercentStopsAt100()
    {
        var progress = new ItemProgress("p/c1", "Downloading", 5 * MiB, 4 * MiB);

        Assert.Equal(100, progress.Percent);
        Assert.Equal("Downloading: 5.0 MiB of 4.0 MiB", progress.Status);
    }

    [Fact]
    public void TotalKnown_WinsOverDetail()
    {
        var progress = new ItemProgress("p/c1", "Downloading", 0, 2048, "ignored");

        Assert.Equal("Downloading: 0 B of 2.0 KiB", progress.Status);
        Assert.Equal(0, progress.Percent);
    }

    [Fact]
    public void BytesOnly_StatusShowsBytes_NoPercent()
    {
        var progress = new ItemProgress("p/c1", "Downloading", 2048, null);

        Assert.Equal("Downloading: 2.0 KiB", progress.Status);
        Assert.Null(progress.Percent);
    }

    [Fact]
    public void BytesOnly_WinsOverDetail()
    {
        Assert.Equal("Downloading: 512 B", new ItemProgress("p/c1", "Downloading", 512, null, "ignored").Status);
    }

    [Fact]
    public void ZeroTotal_CountsAsUnknown_NoPercent()
    {
        var progress = new ItemProgress("p/c1", "Downloading", 100, 0);

        Assert.Equal("Downloading: 100 B", progress.Status);
        Assert.Null(progress.Percent);
    }

    [Fact]
    public void DetailOnly_StatusShowsPhaseAndDetail_NoPercent()
    {
        var progress = new ItemProgress("p/c1", "Creating server backup", 0, null, "Backing up instance: 42% (12.3MB/s)");

        Assert.Equal("Creating server backup: Backing up instance: 42% (12.3MB/s)", progress.Status);
        Assert.Null(progress.Percent);
    }

    [Fact]
    public void PhaseOnly_StatusIsThePhase_NoPercent()
    {
        var progress = new ItemProgress("p/c1", "Starting", 0, null);

        Assert.Equal("Starting", progress.Status);
        Assert.Null(progress.Percent);
    }
}

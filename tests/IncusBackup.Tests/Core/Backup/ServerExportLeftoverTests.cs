using IncusBackup.Backup;
using IncusBackup.Incus;
using Xunit;

namespace IncusBackup.Tests.Core.Backup;

/// <summary>
/// Which server-side backups a run may delete as left behind by an interrupted one: only ours (the incusbackup-
/// prefix), and only when the run that made it is gone (its pid, in the name, no longer exists) or it has expired.
/// </summary>
public sealed class ServerExportLeftoverTests
{
    private static readonly DateTimeOffset Now = new(2026, 3, 4, 5, 6, 7, TimeSpan.Zero);

    /// <param name="name">"{me}" stands for this process's pid (alive); 999999999 is above any Linux pid_max.</param>
    /// <param name="expiresInHours">Hours from now to the expiry; 0 leaves it unset, as a server that reports none.</param>
    [Theory]
    [InlineData("incusbackup-{me}-20260101000000-abcdef01", -1, true)]
    [InlineData("incusbackup-{me}-20260101000000-abcdef01", 1, false)]
    [InlineData("incusbackup-{me}-20260101000000-abcdef01", 0, false)]
    [InlineData("incusbackup-999999999-20260101000000-abcdef01", 1, true)]
    [InlineData("incusbackup-999999999-20260101000000-abcdef01", 0, true)]
    [InlineData("incusbackup-1-20260101000000-abcdef01", 0, false)]
    [InlineData("incusbackup-999999999", 0, false)]
    [InlineData("incusbackup-notapid-20260101000000-abcdef01", 0, false)]
    [InlineData("incusbackup--5-20260101000000-abcdef01", 0, false)]
    [InlineData("manual-before-upgrade", -1, false)]
    [InlineData("IncusBackup-999999999-20260101000000-abcdef01", -1, false)]
    public void IsLeftover_OursAndEitherExpiredOrOfADeadProcess(string name, int expiresInHours, bool expected)
    {
        var backup = new ServerBackup
        {
            Name = name.Replace("{me}", Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal),
            ExpiresAt = expiresInHours == 0 ? default : Now.AddHours(expiresInHours),
        };

        Assert.Equal(expected, ServerExport.IsLeftover(backup, Now));
    }

    [Fact]
    public void NewServerBackupName_CarriesThisProcessAndIsNotALeftoverOfIt()
    {
        var name = ServerExport.NewServerBackupName();

        Assert.Matches($"^incusbackup-{Environment.ProcessId}-[0-9]{{14}}-[0-9a-f]{{8}}$", name);
        Assert.False(ServerExport.IsLeftover(new ServerBackup { Name = name }, Now));
        Assert.NotEqual(name, ServerExport.NewServerBackupName());
    }
}

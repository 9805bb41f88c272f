using IncusBackup.Tests.Infrastructure;
using Xunit;

namespace IncusBackup.Tests.InfrastructureSelfTests;

public sealed class IncusEnvironmentSelfTests
{
    [Theory]
    [InlineData(true, null)]
    [InlineData(true, "true")]
    [InlineData(false, "true")]
    [InlineData(false, "TRUE")]
    public void Integration_tests_run_when_Incus_is_available_or_in_CI(bool available, string? ci)
    {
        Assert.Null(IncusTestEnvironment.DecideSkipReason(available, ci, "socket missing"));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("false")]
    [InlineData("1")]
    public void Integration_tests_skip_outside_CI_when_Incus_is_unavailable(string? ci)
    {
        string? reason = IncusTestEnvironment.DecideSkipReason(false, ci, "socket missing");

        Assert.NotNull(reason);
        Assert.Contains("socket missing", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void The_attributes_apply_the_current_decision()
    {
        Assert.Equal(IncusTestEnvironment.SkipReason, new IncusFactAttribute().Skip);
        Assert.Equal(IncusTestEnvironment.SkipReason, new IncusTheoryAttribute().Skip);
    }

    [IncusFact]
    public void Incus_cli_runs_and_reports_failures_with_stderr()
    {
        Assert.True(IncusCli.Available);
        Assert.Null(IncusCli.UnavailableReason);
        Assert.Contains("Client version", IncusCli.Run("version"), StringComparison.Ordinal);

        var ex = Assert.Throws<IncusCliException>(() => IncusCli.Run("storage", "show", "no-such-pool-for-tests"));
        Assert.NotEqual(0, ex.Result.ExitCode);
        Assert.Contains("not found", ex.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("incus storage show no-such-pool-for-tests", ex.Message, StringComparison.Ordinal);

        IncusCliResult failed = IncusCli.Execute(["storage", "show", "no-such-pool-for-tests"]);
        Assert.False(failed.Succeeded);
        Assert.NotEmpty(failed.StandardError);
    }

    [IncusFact]
    public void Incus_query_parses_json()
    {
        Assert.StartsWith("1.", IncusCli.Query("/1.0").GetProperty("api_version").GetString(), StringComparison.Ordinal);
    }

    [IncusFact]
    public void Incus_cli_times_out()
    {
        // 'incus monitor' runs until killed.
        Assert.Throws<TimeoutException>(() => IncusCli.Execute(["monitor"], TimeSpan.FromMilliseconds(500)));
    }
}

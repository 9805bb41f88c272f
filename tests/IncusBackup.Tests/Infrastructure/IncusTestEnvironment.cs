namespace IncusBackup.Tests.Infrastructure;

/// <summary>
/// Decides whether integration tests run. Locally they skip when Incus is unreachable; in CI (CI=true) they must
/// not silently skip, so they run and fail in <see cref="IncusProjectFixture"/> with the reason.
/// </summary>
public static class IncusTestEnvironment
{
    public static bool IsCi => IsCiValue(Environment.GetEnvironmentVariable("CI"));

    /// <summary>Skip reason for integration tests right now; null means "run them".</summary>
    public static string? SkipReason => DecideSkipReason(IncusCli.Available, Environment.GetEnvironmentVariable("CI"), IncusCli.UnavailableReason);

    /// <summary>The decision itself, separated from the environment so it can be tested.</summary>
    public static string? DecideSkipReason(bool incusAvailable, string? ciValue, string? unavailableReason)
    {
        if (incusAvailable || IsCiValue(ciValue))
        {
            return null;
        }

        return $"Incus is not reachable ({unavailableReason ?? "unknown reason"}); integration test skipped. " +
               "Set up Incus (docs: incus-on-this-machine) to run it. With CI=true it fails instead.";
    }

    /// <summary>Throws when Incus is unreachable, saying why and that CI does not skip.</summary>
    public static void EnsureAvailable()
    {
        if (!IncusCli.Available)
        {
            throw new InvalidOperationException(
                $"Incus is not reachable: {IncusCli.UnavailableReason}. " +
                (IsCi
                    ? "CI=true, so integration tests fail rather than skip: the CI job must install and start incusd first."
                    : "Integration tests need a running incusd ('incus info' must succeed)."));
        }
    }

    private static bool IsCiValue(string? value) => string.Equals(value?.Trim(), "true", StringComparison.OrdinalIgnoreCase);
}

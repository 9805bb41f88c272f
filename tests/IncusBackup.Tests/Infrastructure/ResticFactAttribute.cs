using Xunit;

namespace IncusBackup.Tests.Infrastructure;

/// <summary>A fact that needs the real restic on PATH: skipped without it, except under CI=true (then it runs and fails).</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class ResticFactAttribute : FactAttribute
{
    public ResticFactAttribute()
    {
        if (Environment.GetEnvironmentVariable("CI") == "true") return;
        var onPath = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Any(folder => File.Exists(Path.Combine(folder, "restic")));
        if (!onPath) Skip = "restic is not installed (apt-get install restic)";
    }
}

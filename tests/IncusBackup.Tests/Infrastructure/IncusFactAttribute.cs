using Xunit;

namespace IncusBackup.Tests.Infrastructure;

/// <summary>A fact that needs a real Incus server: skipped when unreachable, except under CI=true (then it fails).</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class IncusFactAttribute : FactAttribute
{
    public IncusFactAttribute()
    {
        if (IncusTestEnvironment.SkipReason is { } reason)
        {
            Skip = reason;
        }
    }
}

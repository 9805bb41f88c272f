using Xunit;

namespace IncusBackup.Tests.Infrastructure;

/// <summary>A theory that needs a real Incus server: skipped when unreachable, except under CI=true (then it fails).</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class IncusTheoryAttribute : TheoryAttribute
{
    public IncusTheoryAttribute()
    {
        if (IncusTestEnvironment.SkipReason is { } reason)
        {
            Skip = reason;
        }
    }
}

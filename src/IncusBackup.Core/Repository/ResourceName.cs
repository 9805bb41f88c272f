using IncusBackup.Errors;

namespace IncusBackup.Repository;

/// <summary>Guards names that become folder names in the repository, so none can escape it or hide in it.</summary>
public static class ResourceName
{
    public static string EnsureSafeSegment(string? value, string what)
    {
        if (string.IsNullOrWhiteSpace(value) || value is "." or ".." || value.StartsWith('.') ||
            value.IndexOfAny(['/', '\\', '\0']) >= 0 || value.Length > 255 || value.Any(char.IsControl))
        {
            throw new IncusBackupException(ErrorIds.InvalidName, ErrorKind.InvalidArgument,
                $"The {what} name '{value}' is not allowed: it must not be empty, start with '.', or contain '/', '\\' or control characters.",
                value);
        }
        return value;
    }

    /// <summary>Incus's own instance-name rule (1-63 of [A-Za-z0-9-], no leading/trailing '-', not all digits).</summary>
    public static bool IsValidInstanceName(string name) =>
        name.Length is >= 1 and <= 63 &&
        name.All(c => char.IsAsciiLetterOrDigit(c) || c == '-') &&
        name[0] != '-' && name[^1] != '-' &&
        !name.All(char.IsAsciiDigit);
}

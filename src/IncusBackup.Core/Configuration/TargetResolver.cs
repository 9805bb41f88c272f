using System.Text.Json;
using System.Text.RegularExpressions;
using IncusBackup.Errors;
using IncusBackup.Repository;

namespace IncusBackup.Configuration;

/// <summary>
/// Resolves the repository target with the spec's precedence: parameter, then $INCUS_BACKUP_TARGET, then the
/// config file ($INCUS_BACKUP_CONFIG or ~/.config/incus-backup/config.json, key "target"). A bare path means dir:.
/// The scheme picks a backend registered with <see cref="RepositoryFactory"/>, which also normalises the location.
/// </summary>
public static partial class TargetResolver
{
    public const string TargetVariable = "INCUS_BACKUP_TARGET";
    public const string ConfigVariable = "INCUS_BACKUP_CONFIG";

    public static RepositoryTarget Resolve(string? parameter, string currentDirectory, Func<string, string?> environment)
    {
        if (!string.IsNullOrWhiteSpace(parameter)) return Parse(parameter, currentDirectory, "parameter -Target");
        var fromEnv = environment(TargetVariable);
        if (!string.IsNullOrWhiteSpace(fromEnv)) return Parse(fromEnv, currentDirectory, "$env:" + TargetVariable);

        var configPath = ConfigFilePath(environment);
        if (File.Exists(configPath))
        {
            var fromFile = ReadTargetFromConfig(configPath);
            if (!string.IsNullOrWhiteSpace(fromFile)) return Parse(fromFile, Path.GetDirectoryName(configPath)!, configPath);
        }
        throw new IncusBackupException(ErrorIds.TargetNotConfigured, ErrorKind.InvalidArgument,
            "No backup target given.", null,
            $"Pass -Target 'dir:/path/to/repository', set $env:{TargetVariable}, or put {{\"target\": \"dir:/path\"}} in {configPath}.");
    }

    public static RepositoryTarget Parse(string value, string baseDirectory, string source)
    {
        var text = value.Trim();
        var match = SchemePattern().Match(text);
        string scheme = "dir", location = text;
        if (match.Success)
        {
            scheme = match.Groups[1].Value.ToLowerInvariant();
            location = match.Groups[2].Value;
        }
        var provider = RepositoryFactory.Find(scheme) ?? throw new IncusBackupException(ErrorIds.TargetSchemeUnsupported, ErrorKind.InvalidArgument,
            $"The target scheme '{scheme}:' is not supported (from {source}: '{value}').", value,
            $"Use one of: {string.Join(", ", RepositoryFactory.Schemes.Select(s => s + ":"))} (a plain path means dir:).");
        if (string.IsNullOrWhiteSpace(location))
        {
            throw new IncusBackupException(ErrorIds.TargetNotConfigured, ErrorKind.InvalidArgument,
                $"The target '{value}' (from {source}) names no location.", value, $"Write it as '{scheme}:{provider.LocationExample}'.");
        }
        return new RepositoryTarget(scheme, provider.NormalizeLocation(location, baseDirectory), source);
    }

    public static string ConfigFilePath(Func<string, string?> environment)
    {
        var explicitPath = environment(ConfigVariable);
        if (!string.IsNullOrWhiteSpace(explicitPath)) return explicitPath;
        var xdg = environment("XDG_CONFIG_HOME");
        var home = environment("HOME") ?? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        var configRoot = string.IsNullOrWhiteSpace(xdg) ? Path.Combine(home, ".config") : xdg;
        return Path.Combine(configRoot, "incus-backup", "config.json");
    }

    private static string? ReadTargetFromConfig(string path)
    {
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("target", out var t) && t.ValueKind == JsonValueKind.String
                ? t.GetString()
                : null;
        }
        catch (JsonException e)
        {
            throw new IncusBackupException(ErrorIds.ConfigFileInvalid, ErrorKind.InvalidData,
                $"The config file '{path}' is not valid JSON: {e.Message}", path, "Fix the file or point $env:INCUS_BACKUP_CONFIG elsewhere.", e);
        }
    }

    // A scheme is two or more letters, so "C:\x" never counts as one.
    [GeneratedRegex("^([A-Za-z][A-Za-z0-9+.-]+):(.*)$")]
    private static partial Regex SchemePattern();
}

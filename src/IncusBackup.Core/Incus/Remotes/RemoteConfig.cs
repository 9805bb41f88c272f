using IncusBackup.Errors;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace IncusBackup.Incus.Remotes;

/// <summary>
/// The incus CLI's remotes, read as the CLI reads them (shared/cliconfig LoadConfig): <c>$INCUS_CONF/config.yml</c>
/// (else <c>~/.config/incus/config.yml</c>), then the system-wide <c>$INCUS_GLOBAL_CONF/config.yml</c> (else
/// /etc/incus) for the remotes the user's file lacks; <c>local</c> is always the default unix socket. No file at all
/// means the CLI's defaults (local and images), so a machine without the CLI configured still reaches its socket.
/// </summary>
public sealed class RemoteConfig
{
    public const string ConfigDirVariable = "INCUS_CONF";
    public const string GlobalConfigDirVariable = "INCUS_GLOBAL_CONF";
    public const string DefaultRemoteVariable = "INCUS_REMOTE";
    public const string LocalRemoteName = "local";

    private RemoteConfig(string configDirectory, string globalDirectory, string? defaultRemote, Dictionary<string, IncusRemote> remotes)
    {
        ConfigDirectory = configDirectory;
        GlobalDirectory = globalDirectory;
        DefaultRemote = defaultRemote;
        Remotes = remotes;
    }

    /// <summary>The user's config directory: client.crt, client.key, servercerts/, clientcerts/.</summary>
    public string ConfigDirectory { get; }

    /// <summary>The system-wide config directory, holding the servercerts/ of its remotes.</summary>
    public string GlobalDirectory { get; }

    /// <summary><c>default-remote</c> from config.yml; null when the file sets none.</summary>
    public string? DefaultRemote { get; }

    public IReadOnlyDictionary<string, IncusRemote> Remotes { get; }

    /// <summary>The names of the remotes that hold instances (image servers left out), for completion.</summary>
    public IEnumerable<string> ServerNames => Remotes.Values.Where(r => !r.Public && r.Protocol == "incus").Select(r => r.Name).Order(StringComparer.Ordinal);

    /// <summary>Where a remote's pinned server certificate lives.</summary>
    public string ServerCertificatePath(IncusRemote remote) =>
        Path.Combine(remote.Global ? GlobalDirectory : ConfigDirectory, "servercerts", remote.Name + ".crt");

    /// <summary>The client certificate, key and CA for a remote: clientcerts/&lt;remote&gt;.* when that .crt exists, else client.*.</summary>
    public (string Certificate, string Key, string Authority) ClientCertificatePaths(string remote)
    {
        var perRemote = Path.Combine(ConfigDirectory, "clientcerts", remote + ".crt");
        return File.Exists(perRemote)
            ? (perRemote, Path.Combine(ConfigDirectory, "clientcerts", remote + ".key"), Path.Combine(ConfigDirectory, "clientcerts", remote + ".ca"))
            : (Path.Combine(ConfigDirectory, "client.crt"), Path.Combine(ConfigDirectory, "client.key"), Path.Combine(ConfigDirectory, "client.ca"));
    }

    /// <summary>The config file the user's remotes come from (it may not exist).</summary>
    public string ConfigFile => Path.Combine(ConfigDirectory, "config.yml");

    public static string ConfigDirectoryFrom(Func<string, string?> environment)
    {
        var explicitDir = environment(ConfigDirVariable);
        if (!string.IsNullOrWhiteSpace(explicitDir)) return explicitDir;
        var xdg = environment("XDG_CONFIG_HOME");
        var home = environment("HOME") ?? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return Path.Combine(string.IsNullOrWhiteSpace(xdg) ? Path.Combine(home, ".config") : xdg, "incus");
    }

    public static RemoteConfig Load(Func<string, string?> environment)
    {
        var configDir = ConfigDirectoryFrom(environment);
        var globalDir = environment(GlobalConfigDirVariable);
        if (string.IsNullOrWhiteSpace(globalDir)) globalDir = "/etc/incus";

        var remotes = new Dictionary<string, IncusRemote>(StringComparer.Ordinal);
        string? defaultRemote = null;
        var userFile = Path.Combine(configDir, "config.yml");
        if (File.Exists(userFile))
        {
            defaultRemote = Read(userFile, global: false, remotes);
        }
        else
        {
            // The CLI's defaults when it has never written a config.
            remotes["images"] = new IncusRemote { Name = "images", Address = "https://images.linuxcontainers.org", Protocol = "simplestreams", Public = true };
        }
        var globalFile = Path.Combine(globalDir, "config.yml");
        if (File.Exists(globalFile))
        {
            var global = new Dictionary<string, IncusRemote>(StringComparer.Ordinal);
            Read(globalFile, global: true, global);
            foreach (var (name, remote) in global) remotes.TryAdd(name, remote);
        }
        // "local" is static in the CLI: always the default socket; only its project is the user's.
        remotes[LocalRemoteName] = new IncusRemote
        {
            Name = LocalRemoteName, Address = "unix://", Project = remotes.GetValueOrDefault(LocalRemoteName)?.Project,
        };
        return new RemoteConfig(configDir, globalDir, defaultRemote, remotes);
    }

    /// <summary>Reads one config.yml into <paramref name="remotes"/>; returns its default-remote.</summary>
    private static string? Read(string path, bool global, Dictionary<string, IncusRemote> remotes)
    {
        YamlMappingNode? root;
        try
        {
            var stream = new YamlStream();
            using (var reader = new StreamReader(path)) stream.Load(reader);
            root = stream.Documents.Count == 0 ? null : stream.Documents[0].RootNode as YamlMappingNode;
        }
        catch (Exception e) when (e is YamlException or IOException or UnauthorizedAccessException)
        {
            throw new IncusBackupException(ErrorIds.RemoteConfigInvalid, ErrorKind.InvalidData,
                $"The incus CLI's config '{path}' cannot be read: {e.Message}", path,
                "Fix the file (incus remote list reads the same file), or point $env:INCUS_CONF at another config directory.", e);
        }
        if (root is null) return null;
        if (Child(root, "remotes") is YamlMappingNode list)
        {
            foreach (var (key, value) in list.Children)
            {
                if (key is not YamlScalarNode { Value: { Length: > 0 } name } || value is not YamlMappingNode fields) continue;
                var isPublic = string.Equals(Scalar(fields, "public"), "true", StringComparison.OrdinalIgnoreCase);
                remotes[name] = new IncusRemote
                {
                    Name = name,
                    Address = Scalar(fields, "addr") ?? "",
                    Protocol = Scalar(fields, "protocol") is { Length: > 0 } protocol ? protocol : "incus",
                    Project = Scalar(fields, "project") is { Length: > 0 } project ? project : null,
                    // As the CLI: a private remote without auth_type uses TLS client certificates.
                    AuthType = Scalar(fields, "auth_type") is { Length: > 0 } auth ? auth : isPublic ? null : "tls",
                    Public = isPublic,
                    Global = global,
                };
            }
        }
        return Scalar(root, "default-remote") is { Length: > 0 } defaultRemote ? defaultRemote : null;
    }

    private static YamlNode? Child(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var child) ? child : null;

    private static string? Scalar(YamlMappingNode node, string key) => (Child(node, key) as YamlScalarNode)?.Value;
}

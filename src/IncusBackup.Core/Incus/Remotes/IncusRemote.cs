namespace IncusBackup.Incus.Remotes;

/// <summary>One remote of the incus CLI's config.yml (<c>remotes: name: {addr, protocol, project, auth_type, public}</c>).</summary>
public sealed record IncusRemote
{
    public required string Name { get; init; }

    /// <summary>"https://host:8443", "unix://" (the default socket) or "unix:///path/to/socket".</summary>
    public required string Address { get; init; }

    /// <summary>incus (the default), simplestreams or oci.</summary>
    public string Protocol { get; init; } = "incus";

    /// <summary>The project the CLI works in on this remote; null for "default".</summary>
    public string? Project { get; init; }

    /// <summary>tls (the default for private remotes) or oidc.</summary>
    public string? AuthType { get; init; }

    public bool Public { get; init; }

    /// <summary>Comes from the system-wide config (/etc/incus), whose servercerts/ then holds its certificate.</summary>
    public bool Global { get; init; }

    /// <summary>A unix socket rather than HTTPS.</summary>
    public bool IsUnixSocket => Address.StartsWith("unix:", StringComparison.Ordinal);

    /// <summary>The socket path of a unix:// remote; null for "unix://", which means the default socket.</summary>
    public string? SocketPath
    {
        get
        {
            if (!IsUnixSocket) return null;
            var path = Address["unix:".Length..];
            if (path.StartsWith("//", StringComparison.Ordinal)) path = path[2..];
            return path.Length == 0 ? null : path;
        }
    }
}

using IncusBackup.Errors;

namespace IncusBackup.Incus;

/// <summary>
/// One Incus server, typed by resource family as the Incus Go client's <c>InstanceServer</c> is. The engine talks
/// to a server only through this interface; <see cref="IncusConnection"/> makes the real one, tests pass fakes.
/// </summary>
public interface IIncusServer : IDisposable
{
    /// <summary>Where the server is, for messages and manifests ("unix:///var/lib/incus/unix.socket").</summary>
    string Endpoint { get; }

    /// <summary>The incus CLI remote it was reached through, if any (for manifests: where a backup came from).</summary>
    string? RemoteName => null;

    /// <summary>GET /1.0, read once; also proves the server is reachable and trusts us.</summary>
    Task<ServerInfo> GetServerAsync(CancellationToken ct);

    IInstancesApi Instances { get; }
    IStorageVolumesApi StorageVolumes { get; }
    IStoragePoolsApi StoragePools { get; }
    IProjectsApi Projects { get; }
    IProfilesApi Profiles { get; }
    INetworksApi Networks { get; }
    IImagesApi Images { get; }
    IOperationsApi Operations { get; }
    IConfigApi Config { get; }

    /// <summary>Cluster membership; ask it only of a server whose GET /1.0 says server_clustered.</summary>
    IClusterApi Cluster { get; }

    /// <summary>
    /// This server with every request aimed at one cluster member (?target=), as the Go client's UseTarget: a
    /// volume on a local pool exists per member, and an import lands where it is aimed. Operations are not aimed
    /// (the cluster finds an operation's member itself). The view shares the connection; disposing it is a no-op.
    /// </summary>
    IIncusServer UseTarget(string member);
}

public static class IncusServerExtensions
{
    /// <summary>The server aimed at <paramref name="member"/> (<see cref="IIncusServer.UseTarget"/>), or itself when there is none.</summary>
    public static IIncusServer AimedAt(this IIncusServer server, string? member)
    {
        ArgumentNullException.ThrowIfNull(server);
        return member is null ? server : server.UseTarget(member);
    }

    public static async Task<bool> HasExtensionAsync(this IIncusServer server, string extension, CancellationToken ct) =>
        (await server.GetServerAsync(ct).ConfigureAwait(false)).ApiExtensions.Contains(extension);
}

internal sealed class IncusServer : IIncusServer
{
    private readonly IncusTransport _transport;
    private ServerInfo? _server;

    /// <summary>The whole server, for a view aimed at one member (null for the whole server itself).</summary>
    private readonly IncusServer? _parent;

    /// <summary>One view per member, made once: parallel workers on one member share it.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, IncusServer> _members = new(StringComparer.Ordinal);

    public IncusServer(IncusTransport transport) : this(transport, null)
    {
    }

    private IncusServer(IncusTransport transport, IncusServer? parent)
    {
        _parent = parent;
        _transport = transport;
        Instances = new InstancesApi(transport);
        StorageVolumes = new StorageVolumesApi(transport);
        StoragePools = new StoragePoolsApi(transport);
        Projects = new ProjectsApi(transport);
        Profiles = new ProfilesApi(transport);
        Networks = new NetworksApi(transport);
        Images = new ImagesApi(transport);
        Operations = new OperationsApi(transport);
        Config = new ConfigApi(transport);
        Cluster = new ClusterApi(transport);
    }

    public string Endpoint => _transport.Endpoint;

    public string? RemoteName => _transport.RemoteName;
    public IInstancesApi Instances { get; }
    public IStorageVolumesApi StorageVolumes { get; }
    public IStoragePoolsApi StoragePools { get; }
    public IProjectsApi Projects { get; }
    public IProfilesApi Profiles { get; }
    public INetworksApi Networks { get; }
    public IImagesApi Images { get; }
    public IOperationsApi Operations { get; }
    public IConfigApi Config { get; }
    public IClusterApi Cluster { get; }

    public IIncusServer UseTarget(string member)
    {
        var whole = _parent ?? this;
        return whole._members.GetOrAdd(member, m => new IncusServer(whole._transport.WithTarget(m), whole));
    }

    public async Task<ServerInfo> GetServerAsync(CancellationToken ct)
    {
        // GET /1.0 is the cluster's answer, not a member's: a view asks the whole server's copy.
        if (_parent is not null) return await _parent.GetServerAsync(ct).ConfigureAwait(false);
        if (_server is not null) return _server;
        var info = await _transport.GetAsync("/1.0", IncusJsonContext.Default.ServerInfo, ct).ConfigureAwait(false);
        if (info.Auth is not null && info.Auth != "trusted" && _transport.ServerTrust is not null)
        {
            throw Remotes.HttpsFailures.Untrusted(Endpoint, _transport.RemoteName, _transport.ClientCertificate, info.Auth);
        }
        if (info.Auth is not null && info.Auth != "trusted")
        {
            throw new IncusBackupException(ErrorIds.IncusPermissionDenied, ErrorKind.PermissionDenied,
                $"The Incus server at {Endpoint} does not trust this client (auth: {info.Auth}).",
                recommendedAction: "Run as root or as a member of the incus-admin group, or add this client's certificate to the server's trust store.");
        }
        _server = info;
        return info;
    }

    /// <summary>Disposes the connections; a member's view is disposed with the whole server, not on its own.</summary>
    public void Dispose()
    {
        if (_parent is not null) return;
        foreach (var view in _members.Values) view._transport.Dispose();
        _transport.Dispose();
    }
}

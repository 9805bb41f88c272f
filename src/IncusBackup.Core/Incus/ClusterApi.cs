namespace IncusBackup.Incus;

/// <summary>Cluster membership: /1.0/cluster (docs/incus-api.md §6). Only a clustered server answers it.</summary>
public interface IClusterApi
{
    /// <summary>The members of a clustered server, as GET /1.0/cluster/members?recursion=1 lists them.</summary>
    Task<List<ClusterMember>> ListMembersAsync(CancellationToken ct);
}

internal sealed class ClusterApi(IncusTransport transport) : IClusterApi
{
    public Task<List<ClusterMember>> ListMembersAsync(CancellationToken ct) =>
        transport.GetAsync("/1.0/cluster/members?recursion=1", IncusJsonContext.Default.ListClusterMember, ct);
}

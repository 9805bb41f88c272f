namespace IncusBackup.Incus;

/// <summary>One member of a cluster as GET /1.0/cluster/members lists it.</summary>
public sealed class ClusterMember
{
    public string ServerName { get; set; } = "";
    public string? Url { get; set; }

    /// <summary>Online, Offline, Evacuated, Blocked...</summary>
    public string? Status { get; set; }
    public string? Message { get; set; }
}

/// <summary>What an instance's or volume's <c>location</c> says about the member it lives on.</summary>
public static class ClusterLocation
{
    /// <summary>
    /// The member's name, or null where there is none to aim at: a standalone server reports "none" (an empty
    /// location on older servers), and so does a volume on a remote pool (ceph), which every member sees.
    /// </summary>
    public static string? MemberOf(string? location) =>
        string.IsNullOrEmpty(location) || location == "none" ? null : location;
}

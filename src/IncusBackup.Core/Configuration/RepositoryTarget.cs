namespace IncusBackup.Configuration;

/// <summary>A parsed -Target: the backend scheme, its location in that backend's terms, and where the value came from.</summary>
public sealed record RepositoryTarget(string Scheme, string Location, string Source)
{
    public override string ToString() => $"{Scheme}:{Location}";
}

using IncusBackup.Backup;
using IncusBackup.Errors;
using IncusBackup.Tests.Fakes;
using Xunit;

namespace IncusBackup.Tests.Core.Backup;

/// <summary>
/// Names and wildcards to instances and volumes against the in-memory server: literal names match exactly (Incus
/// names are case-sensitive), wildcards ignore case, a literal miss is Missing and an empty wildcard is not.
/// </summary>
public sealed class ResourceSelectorTests
{
    private readonly InMemoryIncus _incus = new();
    private readonly ResourceSelector _selector;

    public ResourceSelectorTests()
    {
        _selector = new ResourceSelector(_incus);
        _incus.ProjectNames.Add("p");
        _incus.ProjectNames.Add("q");
        _incus.PoolNames.Add("fast");
        _incus.PoolNames.Add("slow");
    }

    private Task<Selection<InstanceBackupSource>> InstancesAsync(string? project, params string[] patterns) =>
        _selector.SelectInstancesAsync(patterns, project, CancellationToken.None);

    private Task<Selection<VolumeBackupSource>> VolumesAsync(string? pool, string? project, params string[] patterns) =>
        _selector.SelectVolumesAsync(patterns, pool, project, CancellationToken.None);

    private static string[] Names(Selection<InstanceBackupSource> selection) => [.. selection.Targets.Select(t => $"{t.Project}/{t.Name}")];

    private static string[] Names(Selection<VolumeBackupSource> selection) => [.. selection.Targets.Select(t => $"{t.Project}/{t.Pool}/{t.Name}")];

    private void AddWebInstances()
    {
        _incus.AddInstance("p", "web");
        _incus.AddInstance("p", "Web");
        _incus.AddInstance("p", "web2");
        _incus.AddInstance("p", "db");
        _incus.AddInstance("q", "web");
    }

    [Fact]
    public async Task LiteralInstanceName_MatchesExactly_CaseSensitive()
    {
        AddWebInstances();

        var selection = await InstancesAsync("p", "web");

        Assert.Equal(["p/web"], Names(selection));
        Assert.Empty(selection.Missing);
        Assert.Empty(selection.EmptyPatterns);
    }

    [Fact]
    public async Task LiteralInstanceName_InOtherCase_IsMissing()
    {
        AddWebInstances();

        var selection = await InstancesAsync("p", "WEB");

        Assert.Empty(selection.Targets);
        Assert.Equal(["WEB"], selection.Missing);
        Assert.Empty(selection.EmptyPatterns);
    }

    [Fact]
    public async Task InstanceWildcard_IgnoresCase_ResultsInOrdinalOrder()
    {
        AddWebInstances();

        var selection = await InstancesAsync("p", "WEB*");

        Assert.Equal(["p/Web", "p/web", "p/web2"], Names(selection));
    }

    [Fact]
    public async Task LiteralMiss_GoesToMissing_EmptyWildcard_GoesToEmptyPatterns()
    {
        AddWebInstances();

        var selection = await InstancesAsync("p", "nope", "zz*", "db", "ab?", "[x]y");

        Assert.Equal(["p/db"], Names(selection));
        Assert.Equal(["nope"], selection.Missing);
        Assert.Equal(["zz*", "ab?", "[x]y"], selection.EmptyPatterns);
    }

    [Fact]
    public async Task OverlappingAndRepeatedPatterns_SelectEachInstanceOnce_ReportEachMissOnce()
    {
        AddWebInstances();

        var selection = await InstancesAsync("p", "web", "w*", "web", "nope", "nope");

        Assert.Equal(["p/Web", "p/web", "p/web2"], Names(selection));
        Assert.Equal(["nope"], selection.Missing);
    }

    [Fact]
    public async Task NoPatterns_EveryInstanceOfEveryProject_OrderedByProjectThenName()
    {
        _incus.AddInstance("q", "alpha");
        _incus.AddInstance("p", "zeta");
        _incus.AddInstance("default", "mid");
        _incus.AddInstance("p", "Beta");
        _incus.AddInstance("p", "alpha");

        var selection = await InstancesAsync(null);

        Assert.Equal(["default/mid", "p/Beta", "p/alpha", "p/zeta", "q/alpha"], Names(selection));
        Assert.Empty(selection.Missing);
    }

    [Fact]
    public async Task ProjectGiven_OnlyItsInstances()
    {
        AddWebInstances();

        var selection = await InstancesAsync("q", "*");

        Assert.Equal(["q/web"], Names(selection));
    }

    [Fact]
    public async Task UnknownProject_Instances_ThrowsProjectNotFound()
    {
        var e = await Assert.ThrowsAsync<IncusBackupException>(() => InstancesAsync("nosuch", "web"));

        Assert.Equal(ErrorIds.ProjectNotFound, e.ErrorId);
        Assert.Equal(ErrorKind.NotFound, e.Kind);
        Assert.Equal("nosuch", e.Target);
    }

    [Fact]
    public async Task UnknownProject_Volumes_ThrowsProjectNotFound()
    {
        var e = await Assert.ThrowsAsync<IncusBackupException>(() => VolumesAsync(null, "nosuch", "data"));

        Assert.Equal(ErrorIds.ProjectNotFound, e.ErrorId);
    }

    [Theory]
    [InlineData("..")]
    [InlineData(".")]
    [InlineData(".hidden")]
    [InlineData("a/b")]
    public async Task UnsafeProjectName_ThrowsInvalidName_BeforeListing(string project)
    {
        AddWebInstances();

        var instances = await Assert.ThrowsAsync<IncusBackupException>(() => InstancesAsync(project, "web"));
        var volumes = await Assert.ThrowsAsync<IncusBackupException>(() => VolumesAsync(null, project, "data"));

        Assert.Equal(ErrorIds.InvalidName, instances.ErrorId);
        Assert.Equal(ErrorIds.InvalidName, volumes.ErrorId);
    }

    [Fact]
    public async Task UnknownPool_ThrowsPoolNotFound()
    {
        _incus.AddVolume("p", "fast", "data");

        var e = await Assert.ThrowsAsync<IncusBackupException>(() => VolumesAsync("nosuch", "p", "data"));

        Assert.Equal(ErrorIds.PoolNotFound, e.ErrorId);
        Assert.Equal(ErrorKind.NotFound, e.Kind);
        Assert.Equal("nosuch", e.Target);
    }

    private void AddVolumes()
    {
        _incus.AddVolume("p", "default", "data");
        _incus.AddVolume("p", "fast", "data");
        _incus.AddVolume("p", "fast", "logs");
        _incus.AddVolume("p", "slow", "cache");
        _incus.AddVolume("q", "fast", "data");
    }

    [Fact]
    public async Task VolumePoolSlashName_SelectsThatVolumeOnly()
    {
        AddVolumes();

        var selection = await VolumesAsync(null, "p", "fast/data");

        Assert.Equal(["p/fast/data"], Names(selection));
        Assert.Empty(selection.Missing);
    }

    [Fact]
    public async Task VolumeNameWithPool_SearchesThatPoolOnly()
    {
        AddVolumes();

        var selection = await VolumesAsync("fast", "p", "data");

        Assert.Equal(["p/fast/data"], Names(selection));
    }

    [Fact]
    public async Task VolumeNameWithoutPool_SearchesEveryPool()
    {
        AddVolumes();

        var selection = await VolumesAsync(null, "p", "data");

        Assert.Equal(["p/default/data", "p/fast/data"], Names(selection));
    }

    [Fact]
    public async Task VolumeNameWithoutPool_LiteralCaseMismatch_IsMissing()
    {
        AddVolumes();

        var selection = await VolumesAsync(null, "p", "DATA");

        Assert.Empty(selection.Targets);
        Assert.Equal(["DATA"], selection.Missing);
    }

    [Theory]
    [InlineData("*/data", new[] { "p/default/data", "p/fast/data" })]
    [InlineData("F*/data", new[] { "p/fast/data" })]
    [InlineData("fast/*", new[] { "p/fast/data", "p/fast/logs" })]
    [InlineData("?ast/L*", new[] { "p/fast/logs" })]
    [InlineData("*/*", new[] { "p/default/data", "p/fast/data", "p/fast/logs", "p/slow/cache" })]
    public async Task VolumeWildcards_InPoolAndNamePart_IgnoreCase(string pattern, string[] expected)
    {
        AddVolumes();

        var selection = await VolumesAsync(null, "p", pattern);

        Assert.Equal(expected, Names(selection));
        Assert.Empty(selection.Missing);
        Assert.Empty(selection.EmptyPatterns);
    }

    [Fact]
    public async Task VolumeLiteralPoolPart_IsCaseSensitive()
    {
        AddVolumes();

        var selection = await VolumesAsync(null, "p", "FAST/data");

        Assert.Empty(selection.Targets);
        Assert.Equal(["FAST/data"], selection.Missing);
    }

    [Fact]
    public async Task VolumeMisses_LiteralNameIsMissing_WildcardNameIsEmpty()
    {
        AddVolumes();

        var selection = await VolumesAsync(null, "p", "slow/nope", "slow/no*", "slow/cache");

        Assert.Equal(["p/slow/cache"], Names(selection));
        Assert.Equal(["slow/nope"], selection.Missing);
        Assert.Equal(["slow/no*"], selection.EmptyPatterns);
    }

    [Fact]
    public async Task VolumeWildcardOnlyInPoolPart_MatchingNothing_CountsAsLiteralMiss()
    {
        // Whether a pattern is a wildcard is decided by its name part: "*/nope" means "the volume nope, in any pool".
        AddVolumes();

        var selection = await VolumesAsync(null, "p", "*/nope");

        Assert.Equal(["*/nope"], selection.Missing);
        Assert.Empty(selection.EmptyPatterns);
    }

    [Fact]
    public async Task NoVolumePatterns_EveryVolumeOfEveryProject_OrderedByProjectPoolName()
    {
        _incus.AddVolume("q", "default", "b");
        _incus.AddVolume("p", "slow", "a");
        _incus.AddVolume("p", "fast", "z");
        _incus.AddVolume("p", "fast", "B");
        _incus.AddVolume("p", "default", "m");
        _incus.AddVolume("p", "fast", "a");

        var selection = await VolumesAsync(null, null);

        Assert.Equal(["p/default/m", "p/fast/B", "p/fast/a", "p/fast/z", "p/slow/a", "q/default/b"], Names(selection));
    }

    [Fact]
    public async Task SelectedVolume_CarriesItsPoolAndResourceKey()
    {
        AddVolumes();

        var source = Assert.Single((await VolumesAsync("slow", "p", "cache")).Targets);

        Assert.Equal("slow", source.Pool);
        Assert.Equal("slow", source.RecordedPool);
        Assert.Equal("p/slow/cache", source.Resource.ToString());
    }
}

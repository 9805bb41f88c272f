using IncusBackup.Archive;
using Xunit;

namespace IncusBackup.Tests.Core.Archive;

public sealed class RestoreMappingTests
{
    [Fact]
    public void An_empty_mapping_changes_nothing()
    {
        Assert.False(RestoreMapping.None.ChangesAnything);
        Assert.False(new RestoreMapping().ChangesAnything);
    }

    [Fact]
    public void Identity_entries_change_nothing()
    {
        var mapping = new RestoreMapping
        {
            Pools = new Dictionary<string, string> { ["default"] = "default" },
            Networks = new Dictionary<string, string> { ["incusbr0"] = "incusbr0" },
            Profiles = new Dictionary<string, string> { ["web"] = "web" },
            Projects = new Dictionary<string, string> { ["p"] = "p" },
        };

        Assert.False(mapping.ChangesAnything);
    }

    public static TheoryData<RestoreMapping> ChangingMappings => new()
    {
        new RestoreMapping { Pools = new Dictionary<string, string> { ["default"] = "pool2" } },
        new RestoreMapping { Networks = new Dictionary<string, string> { ["incusbr0"] = "br1" } },
        new RestoreMapping { Profiles = new Dictionary<string, string> { ["default"] = "web" } },
        new RestoreMapping { Projects = new Dictionary<string, string> { ["default"] = "prod" } },
        new RestoreMapping { NewName = "b1" },
        new RestoreMapping { TargetPool = "pool2" },
    };

    [Theory]
    [MemberData(nameof(ChangingMappings))]
    public void Any_real_change_is_reported(RestoreMapping mapping) => Assert.True(mapping.ChangesAnything);

    [Fact]
    public void Names_match_case_sensitively_even_with_a_case_insensitive_dictionary()
    {
        var mapping = new RestoreMapping
        {
            Pools = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { ["default"] = "pool2" },
        };

        Assert.Equal("pool2", mapping.Resolve(ReferenceKind.Pool, "default"));
        Assert.Equal("Default", mapping.Resolve(ReferenceKind.Pool, "Default"));
    }

    [Fact]
    public void Later_changes_to_the_callers_dictionary_do_not_leak_in()
    {
        var pools = new Dictionary<string, string> { ["default"] = "pool2" };
        var mapping = new RestoreMapping { Pools = pools };

        pools["default"] = "other";
        pools["fast"] = "slow";

        Assert.Equal("pool2", mapping.Resolve(ReferenceKind.Pool, "default"));
        Assert.Equal("fast", mapping.Resolve(ReferenceKind.Pool, "fast"));
    }

    [Fact]
    public void Target_pool_wins_for_the_own_pool_only()
    {
        var mapping = new RestoreMapping { TargetPool = "target", Pools = new Dictionary<string, string> { ["default"] = "pool2" } };

        Assert.Equal("target", mapping.Resolve(ReferenceKind.OwnPool, "default"));
        Assert.Equal("pool2", mapping.Resolve(ReferenceKind.Pool, "default"));
        Assert.Equal("pool2", new RestoreMapping { Pools = mapping.Pools }.Resolve(ReferenceKind.OwnPool, "default"));
    }

    [Fact]
    public void Nic_parents_follow_the_network_map()
    {
        var mapping = new RestoreMapping { Networks = new Dictionary<string, string> { ["incusbr0"] = "br1" } };

        Assert.Equal("br1", mapping.Resolve(ReferenceKind.NicParent, "incusbr0"));
        Assert.Equal("eth0", mapping.Resolve(ReferenceKind.NicParent, "eth0"));
    }

    [Fact]
    public void Empty_names_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => new RestoreMapping { Pools = new Dictionary<string, string> { ["default"] = "" } });
        Assert.Throws<ArgumentException>(() => new RestoreMapping { Profiles = new Dictionary<string, string> { [""] = "web" } });
        Assert.Throws<ArgumentException>(() => new RestoreMapping { NewName = "" });
        Assert.Throws<ArgumentException>(() => new RestoreMapping { TargetPool = "" });
    }
}

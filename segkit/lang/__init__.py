"""The spec language: YAML with a location for every value (:mod:`.loader`), the file
schema (:mod:`.schema`), ``${...}`` expressions (:mod:`.expr`), ``checks:`` on params
(:mod:`.checks`), ``extends`` (:mod:`.extends`), the resolver from a Spec to the graph
IR (:mod:`.resolver`), params' doc comments (:mod:`.comments`), the merged spec as YAML
(:mod:`.render`) and the JSON Schema for editors (:mod:`.json_schema`)."""

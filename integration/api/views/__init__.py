"""One module per resource; one APIView per use case with nested Input/Output serializers."""

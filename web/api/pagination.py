from drf_spectacular.utils import inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import PageNumberPagination


class BoardPagination(PageNumberPagination):
    """{count, next, previous, results}; `?page=N&page_size=M` (at most 500).

    A page number that is not a whole number from 1 is a 400 saying so, and so is a page
    size outside 1..500 (DRF would quietly use the default or the cap); a page past the
    last is a 404 naming the last page (DRF answers both with "Invalid page.")."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def get_page_number(self, request, paginator):
        raw = request.query_params.get(self.page_query_param) or 1
        if raw in self.last_page_strings:
            return paginator.num_pages
        try:
            number = int(raw)
        except (TypeError, ValueError):
            number = 0
        if number < 1:
            raise ValidationError(
                {self.page_query_param: [f"The page must be a whole number from 1; got {raw!r}."]}
            )
        return number

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        try:
            size = int(raw)
        except (TypeError, ValueError):
            size = 0
        if not 1 <= size <= self.max_page_size:
            raise ValidationError({self.page_size_query_param: [
                f"The page size is a whole number from 1 to {self.max_page_size}; got {raw!r}."]})  # fmt: skip
        return size

    def paginate_queryset(self, queryset, request, view=None):
        try:
            return super().paginate_queryset(queryset, request, view)
        except NotFound:
            last = self.django_paginator_class(queryset, self.get_page_size(request)).num_pages
            raise NotFound(
                f"There is no page {self.get_page_number(request, None)}; the last page is {last}."
            ) from None


def paginated(serializer_class: type[serializers.Serializer]) -> serializers.Serializer:
    """The schema of one page of `serializer_class` rows, as BoardPagination answers."""
    return inline_serializer(
        name=f"Paginated{serializer_class.__name__.removesuffix('Output')}List",
        fields={
            "count": serializers.IntegerField(help_text="Rows on every page together."),
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
            "results": serializer_class(many=True),
        },
    )


def page_response(view, request, rows, output: type[serializers.Serializer], *, shape=None):
    """One page of `rows` (a queryset or a list) as BoardPagination answers it, each row
    through `shape` (if given) and then the `output` serializer."""
    paginator = BoardPagination()
    page = paginator.paginate_queryset(rows, request, view=view)
    if shape is not None:
        page = [shape(row) for row in page]
    return paginator.get_paginated_response(output(page, many=True, context={"request": request}).data)

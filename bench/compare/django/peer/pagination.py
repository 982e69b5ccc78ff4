"""DRF's page-number pagination with hancup's parameters: `page`, `page_size` 1–100, default 20."""
from rest_framework.pagination import PageNumberPagination


class CoursePagination(PageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100
